import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { BrokerConnection } from "./fetch";
import { Writer } from "./protocol";

// A TCP peer on loopback that answers with bytes the test chooses: the framing of BrokerConnection, beside the
// real broker runs of `npm run reader-check`.
let server: Server | undefined;
afterEach(() => server?.close());

function peer(onRequest: (socket: Socket, request: { apiKey: number; correlationId: number }) => void): Promise<number> {
  server = createServer((socket) => {
    let buffered = Buffer.alloc(0);
    socket.on("data", (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const frame = buffered.subarray(4, 4 + buffered.readInt32BE(0));
        buffered = buffered.subarray(4 + frame.length);
        onRequest(socket, { apiKey: frame.readInt16BE(0), correlationId: frame.readInt32BE(4) });
      }
    });
  });
  return new Promise((resolve) => server!.listen(0, "127.0.0.1", () => resolve((server!.address() as { port: number }).port)));
}

const response = (correlationId: number, body: string) => {
  const payload = new Writer().int32(correlationId).raw(Buffer.from(body)).toBuffer();
  return new Writer().int32(payload.length).raw(payload).toBuffer();
};

describe("BrokerConnection", () => {
  it("matches responses to requests by correlation id, however the bytes arrive", async () => {
    const pending: number[] = [];
    const port = await peer((socket, { correlationId }) => {
      pending.push(correlationId);
      if (pending.length < 2) return;
      // Answer the second request first, all in one byte stream sent one byte at a time.
      const bytes = Buffer.concat([response(pending[1]!, "second"), response(pending[0]!, "first")]);
      for (const byte of bytes) socket.write(Buffer.from([byte]));
    });
    const connection = await BrokerConnection.open("127.0.0.1", port);
    try {
      const answers = await Promise.all([connection.request(18, 0, Buffer.alloc(0)), connection.request(1, 11, Buffer.alloc(0))]);
      expect(answers.map((a) => a.toString())).toEqual(["first", "second"]);
    } finally {
      connection.close();
    }
  });

  it("names the broker when it does not answer in time, and when it closes the connection", async () => {
    const port = await peer((socket, { apiKey }) => {
      if (apiKey === 1) socket.end();
    });
    const connection = await BrokerConnection.open("127.0.0.1", port);
    await expect(connection.request(18, 0, Buffer.alloc(0), 200)).rejects.toThrow(
      `broker 127.0.0.1:${port} did not answer request 18 v0 within 200 ms`,
    );
    const again = await BrokerConnection.open("127.0.0.1", port);
    await expect(again.request(1, 11, Buffer.alloc(0))).rejects.toThrow(`broker 127.0.0.1:${port} closed the connection`);
  });

  it("names the address it could not connect to", async () => {
    const port = await peer(() => undefined);
    server!.close();
    await expect(BrokerConnection.open("127.0.0.1", port)).rejects.toThrow(
      new RegExp(`cannot connect to broker 127.0.0.1:${port}: .*ECONNREFUSED`),
    );
  });
});
