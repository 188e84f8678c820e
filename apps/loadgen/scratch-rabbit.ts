import { startRabbitMQ } from '../shared/testing/services/rabbitmq';
const r = await startRabbitMQ({ plugins: ['rabbitmq_web_stomp'] });
console.log(r.webStompUrl, r.pid);
process.on('SIGTERM', () => void r.stop().then(() => process.exit(0)));
setInterval(() => {}, 1000);
