import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy in front of PostgreSQL that can lose the reply to one COMMIT: the server
 * commits, the client never hears it (the connection dies instead). What a network fault
 * between a store and its database looks like at the worst moment.
 */
export async function startPgProxy(target = { host: '127.0.0.1', port: 5432 }) {
  let armed = false;
  let dropped = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection(target);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    // Server messages are (type byte, int32 length incl. itself, body): forwarded whole, one by one.
    let pending = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 5) {
        const size = 1 + pending.readInt32BE(1);
        if (pending.length < size) break;
        const message = pending.subarray(0, size);
        pending = pending.subarray(size);
        if (armed && message[0] === 0x43 && message.subarray(5, size - 1).toString() === 'COMMIT') {
          armed = false;
          dropped += 1;
          client.destroy();
          upstream.destroy();
          return;
        }
        client.write(message);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    /** The next COMMIT is carried out by the server, and its reply lost. */
    dropNextCommitReply() {
      armed = true;
    },
    dropped: () => dropped,
    async close() {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
