/**
 * `vsearch describe` and `vsearch ask` against a local HTTP server standing in for the query API
 * (it records each request and answers like POST /v1/describe and /v1/ask): which route, body and
 * form each argument becomes, and what is printed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { registerCommand } from './describe.command';

interface Recorded {
  method: string;
  url: string;
  contentType: string;
  body: string;
}

const DESCRIBED = {
  description: 'a red striped t-shirt on a flat backdrop',
  attributes: { colour: 'red', pattern: 'striped' },
  finishReason: 'stop',
  model: 'describer-mini@1.0.0',
};
const CANT_TELL = { answer: "i can't tell from the photo", answerable: false, unknownWords: ['zorblax'], model: 'describer-mini@1.0.0' };

describe('vsearch describe and ask', () => {
  let server: http.Server;
  let apiUrl: string;
  let requests: Recorded[];
  let dir: string;
  let photo: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'vsearch-describe-cli-'));
    photo = path.join(dir, 'shirt.png');
    writeFileSync(photo, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]));
    server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        requests.push({
          method: request.method ?? '',
          url: request.url ?? '',
          contentType: request.headers['content-type'] ?? '',
          body: Buffer.concat(chunks).toString('latin1'),
        });
        response.setHeader('content-type', 'application/json');
        if (request.url?.startsWith('/v1/describe')) response.end(JSON.stringify(DESCRIBED));
        else if (Buffer.concat(chunks).includes('missing')) {
          response.statusCode = 404;
          response.end(JSON.stringify({ error: { code: 'product_not_found', message: 'no product missing in the index' } }));
        } else response.end(JSON.stringify(CANT_TELL));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    requests = [];
  });

  async function vsearch(...args: string[]): Promise<string> {
    const program = new Command('vsearch').exitOverride();
    registerCommand(program);
    const printed: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    });
    try {
      await program.parseAsync(['node', 'vsearch', ...args, '--api-url', apiUrl]);
    } finally {
      write.mockRestore();
    }
    return printed.join('');
  }

  it('describes a local photo as a multipart upload and prints the description and the attributes it names', async () => {
    const printed = await vsearch('describe', photo);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ method: 'POST', url: '/v1/describe', contentType: expect.stringMatching(/^multipart\/form-data/) });
    expect(requests[0].body).toMatch(/name="image"; filename="shirt.png"\r\nContent-Type: image\/png/);
    expect(printed).toBe('a red striped t-shirt on a flat backdrop\ncolour: red, pattern: striped\n(model describer-mini@1.0.0)\n');
  });

  it('describes a URL by sending it as JSON', async () => {
    expect(JSON.parse(await vsearch('describe', 'https://images.example.com/p/1.jpg', '--json'))).toEqual(DESCRIBED);
    expect(requests[0]).toMatchObject({
      url: '/v1/describe',
      contentType: 'application/json',
      body: JSON.stringify({ imageUrl: 'https://images.example.com/p/1.jpg' }),
    });
  });

  it('asks about a photo file (question in the query string), a URL and a product id, printing the words the model does not know', async () => {
    const printed = await vsearch('ask', photo, 'what', 'colour', 'is', 'the', 'zorblax?');
    expect(requests[0].url).toBe(`/v1/ask?${new URLSearchParams({ question: 'what colour is the zorblax?' })}`);
    expect(printed).toBe("i can't tell from the photo\nwords the model does not know: zorblax\n");
    await vsearch('ask', 'https://images.example.com/p/1.jpg', 'is it red?');
    await vsearch('ask', 'p-000042', 'is it red?');
    expect(requests.slice(1).map((request) => JSON.parse(request.body))).toEqual([
      { imageUrl: 'https://images.example.com/p/1.jpg', question: 'is it red?' },
      { productId: 'p-000042', question: 'is it red?' },
    ]);
  });

  it("fails with the API's own message for an unknown product, and with a usage error for an empty question", async () => {
    await expect(vsearch('ask', 'missing', 'is it red?')).rejects.toThrow('the query API answered 404 product_not_found: no product missing in the index');
    await expect(vsearch('ask', photo, '  ')).rejects.toThrow(/the question is empty/);
    expect(requests).toHaveLength(1);
  });
});
