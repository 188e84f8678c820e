/**
 * `onlineAmong` as one Lua script per batch of ids, so a question about many users costs one
 * round trip whatever the number of processes. KEYS[1] is the set of process ids; ARGV[1] the
 * prefix of each process's hash (user id → 1, expiring unless that process refreshes it);
 * ARGV[2..] the user ids. A process whose hash has expired (killed, or left with nobody
 * connected) is removed from the set; a live one adds itself back with every write.
 * The hashes are named inside the script, so it needs one Redis (not a Cluster).
 */
export const ONLINE_AMONG_LUA = `
local found = {}
local out = {}
for _, p in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[1] .. p
  if redis.call('EXISTS', key) == 0 then
    redis.call('SREM', KEYS[1], p)
  else
    local vals = redis.call('HMGET', key, unpack(ARGV, 2))
    for i, v in ipairs(vals) do
      if v and not found[i] then
        found[i] = true
        out[#out + 1] = ARGV[i + 1]
      end
    end
  end
end
return out
`;
