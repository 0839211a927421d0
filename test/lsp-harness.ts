import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { onTestFinished } from 'vitest';

/**
 * A minimal LSP client for yaml-language-server (the server behind VS Code's YAML extension),
 * over stdio as an editor runs it. It answers the server's configuration requests with the
 * `yaml.*` settings of the workspace's .vscode/settings.json, as VS Code passes them, with the
 * schema store off (it would fetch a catalogue from the network; configured associations outrank
 * it anyway).
 */

const SERVER = path.join(path.dirname(createRequire(import.meta.url).resolve('yaml-language-server/package.json')), 'bin', 'yaml-language-server');

export interface EditorDiagnostic {
  /** 1-based, as the tool prints lines. */
  line: number;
  message: string;
}

interface Message {
  id?: number;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { message: string };
}

export class YamlEditor {
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly waiters: { match: (m: Message) => boolean; resolve: (m: Message) => void; reject: (e: Error) => void }[] = [];
  private version = 0;
  private log = '';

  private constructor(
    private readonly server: ChildProcess,
    private readonly root: string,
    private readonly yamlSettings: Record<string, unknown>,
  ) {
    server.stdout!.on('data', (chunk: Buffer) => this.receive(chunk));
    server.stderr!.on('data', (chunk: Buffer) => void (this.log += chunk.toString('utf8')));
    // A server that dies fails what waits on it at once, with what it said, rather than at the test's timeout.
    server.on('exit', (code, signal) => {
      const error = new Error(`yaml-language-server exited (${signal ?? code}): ${this.log.slice(-2000)}`);
      for (const { reject } of this.pending.values()) reject(error);
      for (const { reject } of this.waiters.splice(0)) reject(error);
      this.pending.clear();
    });
  }

  /** Starts a server on `root` as a workspace folder, with the yaml settings of its .vscode/settings.json. */
  static async open(root: string): Promise<YamlEditor> {
    const settings = JSON.parse(readFileSync(path.join(root, '.vscode/settings.json'), 'utf8')) as Record<string, unknown>;
    const yaml: Record<string, unknown> = { validate: true, completion: true, hover: true, schemaStore: { enable: false } };
    for (const [key, value] of Object.entries(settings)) if (key.startsWith('yaml.')) yaml[key.slice('yaml.'.length)] = value;
    const server = spawn(process.execPath, [SERVER, '--stdio'], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    const editor = new YamlEditor(server, root, yaml);
    onTestFinished(() => editor.close());
    const uri = pathToFileURL(root).href;
    await editor.request('initialize', {
      processId: process.pid,
      rootUri: uri,
      workspaceFolders: [{ uri, name: path.basename(root) }],
      capabilities: { workspace: { configuration: true }, textDocument: { publishDiagnostics: {}, completion: { completionItem: { snippetSupport: true } } } },
    });
    editor.notify('initialized', {});
    // As VS Code's YAML extension does: then the server says when the settings are in force.
    editor.notify('yaml/supportSchemaSelection', {});
    const ready = editor.waitFor((m) => m.method === 'yaml/schema/store/initialized');
    editor.notify('workspace/didChangeConfiguration', { settings: null });
    await ready;
    return editor;
  }

  /** Opens `rel` (or `text` under that name) and returns the diagnostics the editor shows for it. */
  async diagnostics(rel: string, text = readFileSync(path.join(this.root, rel), 'utf8')): Promise<EditorDiagnostic[]> {
    const uri = pathToFileURL(path.join(this.root, rel)).href;
    const published = this.waitFor((m) => m.method === 'textDocument/publishDiagnostics' && (m.params as { uri: string }).uri === uri);
    this.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: ++this.version, text } });
    const { diagnostics } = (await published).params as { diagnostics: { range: { start: { line: number } }; message: string }[] };
    this.notify('textDocument/didClose', { textDocument: { uri } });
    return diagnostics.map((d) => ({ line: d.range.start.line + 1, message: d.message }));
  }

  /** The completion items offered at a 0-based line and character of `rel`, opened with `text`. */
  async completion(rel: string, text: string, line: number, character: number): Promise<{ label: string; insertText?: string }[]> {
    const uri = pathToFileURL(path.join(this.root, rel)).href;
    this.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: ++this.version, text } });
    const result = (await this.request('textDocument/completion', { textDocument: { uri }, position: { line, character } })) as { items: { label: string; insertText?: string }[] };
    this.notify('textDocument/didClose', { textDocument: { uri } });
    return result.items;
  }

  close(): void {
    this.waiters.splice(0);
    this.pending.clear();
    if (this.server.exitCode === null && !this.server.killed) this.server.kill();
  }

  private request(method: string, params: unknown): Promise<unknown> {
    const id = this.nextId++;
    this.send({ jsonrpc: '2.0', id, method, params });
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  private notify(method: string, params: unknown): void {
    this.send({ jsonrpc: '2.0', method, params });
  }

  private waitFor(match: (m: Message) => boolean): Promise<Message> {
    return new Promise((resolve, reject) => this.waiters.push({ match, resolve, reject }));
  }

  private send(message: unknown): void {
    const body = Buffer.from(JSON.stringify(message), 'utf8');
    this.server.stdin!.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]));
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/Content-Length: (\d+)/i.exec(this.buffer.subarray(0, end).toString('ascii'))?.[1]);
      if (this.buffer.length < end + 4 + length) return;
      const message = JSON.parse(this.buffer.subarray(end + 4, end + 4 + length).toString('utf8')) as Message;
      this.buffer = this.buffer.subarray(end + 4 + length);
      this.dispatch(message);
    }
  }

  private dispatch(message: Message): void {
    if (message.method !== undefined && message.id !== undefined) {
      // A request from the server: settings, capability registration, progress tokens.
      const result = message.method === 'workspace/configuration' ? (message.params as { items: { section?: string }[] }).items.map((item) => (item.section === 'yaml' ? this.yamlSettings : null)) : null;
      this.send({ jsonrpc: '2.0', id: message.id, result });
      return;
    }
    if (message.id !== undefined) {
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) waiting?.reject(new Error(message.error.message));
      else waiting?.resolve(message.result);
      return;
    }
    const index = this.waiters.findIndex((w) => w.match(message));
    if (index >= 0) this.waiters.splice(index, 1)[0]!.resolve(message);
  }
}
