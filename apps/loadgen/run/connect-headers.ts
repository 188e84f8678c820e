/** CONNECT headers for one user: login/passcode templates, a shared token, or a minted JWT. */
import { SignJWT } from 'jose';
import type { LoadOptions } from '../cli/options';

export interface UserCredentials {
  connectHeaders: Record<string, string | undefined>;
  httpHeaders?: Record<string, string>;
}

const fill = (template: string | undefined, user: number) => template?.split('{user}').join(String(user));

/** The user id a minted token names: the login template, else `user<n>`. */
export function subjectFor(o: Pick<LoadOptions, 'login'>, user: number): string {
  return fill(o.login, user) ?? `user${user}`;
}

export async function credentialsFor(o: LoadOptions, user: number, secretKey?: Uint8Array): Promise<UserCredentials> {
  const login = fill(o.login, user);
  let passcode = fill(o.passcode, user);
  let token = o.token;
  if (secretKey) {
    token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(subjectFor(o, user))
      .setIssuedAt()
      .setExpirationTime('2h')
      .sign(secretKey);
  }
  let authorization: string | undefined;
  if (token !== undefined) {
    if (o.tokenIn === 'passcode') passcode = token;
    else authorization = `Bearer ${token}`;
  }
  return {
    connectHeaders: {
      'accept-version': o.acceptVersion,
      host: o.host,
      'heart-beat': o.heartbeat,
      login,
      passcode,
      Authorization: authorization,
    },
  };
}
