// The "GitOps" output channel, plus the last lines kept in memory so tests can print what the engine did
// when they fail (a LogOutputChannel cannot be read back).
import * as vscode from 'vscode';

export interface GitOpsLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
  show(preserveFocus?: boolean): void;
  dispose(): void;
  /** The most recent lines (up to 500), oldest first. */
  recent(): string[];
}

export function createLog(name = 'GitOps'): GitOpsLog {
  const channel = vscode.window.createOutputChannel(name, { log: true });
  const lines: string[] = [];
  const keep = (level: string, message: string) => {
    lines.push(`${new Date().toISOString().slice(11, 23)} ${level} ${message}`);
    if (lines.length > 500) lines.splice(0, lines.length - 500);
  };
  return {
    info: (m) => { keep('info', m); channel.info(m); },
    warn: (m) => { keep('warn', m); channel.warn(m); },
    error: (m) => { keep('error', m); channel.error(m); },
    debug: (m) => { keep('debug', m); channel.debug(m); },
    show: (preserveFocus) => channel.show(preserveFocus),
    dispose: () => channel.dispose(),
    recent: () => [...lines],
  };
}
