// The soak's churner (`npm run soak` starts it in its private namespace): opens and closes TCP
// connections on 127.0.0.1 and ::1 as fast as it can, closing them three ways in turn (FIN from
// the client, which leaves TIME_WAIT; RST; FIN from the server first) after sending a few bytes,
// and binds, connects and closes UDP sockets. Its first stdout
// line is JSON naming its ports; on 'stop' over IPC it replies with what it did.
import dgram from 'node:dgram';
import net from 'node:net';

const HOSTS = ['127.0.0.1', '::1'];
const LISTENERS_PER_HOST = 4;  // more 4-tuples, so the ephemeral ports last
const IN_FLIGHT = 64;

const done = { tcp: 0, udp: 0, errors: 0, lastError: '' };
let stopping = false;

function listen(host) {
  const server = net.createServer({ noDelay: true }, (sock) => {
    sock.on('error', () => {});
    sock.resume();  // read and drop, so the client's FIN is seen
    sock.on('end', () => sock.end());
    if (sock.remotePort % 3 === 2) sock.end();  // the server closes first
  });
  return new Promise((resolve) => server.listen(0, host, 1024, () => resolve(server)));
}

function error(err) {
  done.errors++;
  done.lastError = err.code ?? err.message;
}

function connectOnce(host, port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port, noDelay: true });
    sock.on('error', (err) => (error(err), resolve()));
    sock.on('close', resolve);
    sock.resume();
    sock.on('end', () => sock.end());
    sock.on('connect', () => {
      done.tcp++;
      sock.write('x'.repeat(sock.localPort % 7));
      if (sock.localPort % 3 === 0) sock.end();
      else if (sock.localPort % 3 === 1) sock.resetAndDestroy();
    });
  });
}

async function udpOnce(host, port) {
  const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  s.on('error', error);
  await new Promise((r) => s.bind(0, host, r));
  if (done.udp % 2 === 0) await new Promise((r) => s.connect(port, host, r));
  done.udp++;
  s.close();
}

const servers = [];
for (const host of HOSTS) for (let i = 0; i < LISTENERS_PER_HOST; i++) servers.push([host, await listen(host)]);
const udpServers = await Promise.all(HOSTS.map((host) => new Promise((resolve) => {
  const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  s.bind(0, host, () => resolve([host, s]));
})));
console.log(JSON.stringify({
  tcpPorts: servers.map(([, s]) => s.address().port),
  udpPorts: udpServers.map(([, s]) => s.address().port),
}));

async function lane(n) {
  for (let i = n; !stopping; i += IN_FLIGHT) {
    const [host, server] = servers[i % servers.length];
    await connectOnce(host, server.address().port);
    if (i % 8 === 0) {
      const [uhost, usock] = udpServers[i % udpServers.length];
      await udpOnce(uhost, usock.address().port);
    }
  }
}
const lanes = Array.from({ length: IN_FLIGHT }, (_, n) => lane(n));

process.on('message', async (msg) => {
  if (msg !== 'stop') return;
  stopping = true;
  await Promise.all(lanes);
  process.send(done, () => process.exit(0));
});
