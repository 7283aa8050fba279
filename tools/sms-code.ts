// Makes an administrator's SMS command that changes something (ON, OFF, AUTO, PRICE, ALARM):
// the command's words, the next counter and its code under the unit's SMS key (firmware/sms/
// auth.ts). Each counter is used once: the unit refuses one at or below the last it took.
//   npx ts-node tools/sms-code.ts --key <32 hex> --counter 17 off r301
// prints: OFF R301 17 482913
import { Command, InvalidArgumentError } from 'commander';
import { smsCode } from '../firmware/sms/auth';
import { keyFromHex } from './openpaygo-encode';

/** The whole SMS text for command words with counter n under key (32 hex digits). */
export function smsCommand(keyHex: string, n: number, words: string[]): { ok: true; text: string } | { ok: false; error: string } {
  const key = keyFromHex(keyHex);
  if (!key) return { ok: false, error: 'key must be 32 hex digits' };
  if (!words.length) return { ok: false, error: 'give the command, e.g. off R301' };
  const w = words.join(' ').trim().split(/\s+/).join(' ').toUpperCase();
  return { ok: true, text: w + ' ' + n + ' ' + smsCode(key, n, w) };
}

function counter(text: string): number {
  if (!/^\d{1,9}$/.test(text) || +text < 1) throw new InvalidArgumentError('expected a whole number from 1');
  return Number(text);
}

function main(argv: string[]): void {
  const program = new Command();
  program
    .name('sms-code')
    .description("An administrator's SMS command with its counter and code")
    .requiredOption('--key <hex>', "the unit's SMS key, 32 hex digits")
    .requiredOption('--counter <n>', 'this command\'s counter: one more than the last one used', counter)
    .argument('<words...>', 'the command: on|off|auto <acct>, price <plan> <price>, alarm <acct> <a,b,c>')
    .action((words: string[], opts: { key: string; counter: number }) => {
      const r = smsCommand(opts.key, opts.counter, words);
      if (!r.ok) program.error('error: ' + r.error);
      else console.log(r.text);
    });
  program.parse(argv);
}

if (require.main === module) main(process.argv);
