// Issues an OpenPAYGO top-up token for one account:
//   ts-node tools/vend.ts --key <32 hex> --start-code 516959010 --count 1 --value 5 --type add
// prints the token and the count to store for the next one. The simulator's top-up schedule
// calls vendToken() directly.
import { Command, InvalidArgumentError } from 'commander';
import { TokenKind } from '../firmware/tokens/openpaygo';
import { generateToken, keyFromHex, TokenIssue } from './openpaygo-encode';

/** A vending request as the CLI and the simulator give it. */
export interface VendOptions {
  /** 16-byte key, as bytes or 32 hex digits. */
  key: Uint8Array | string;
  startingCode: number;
  /** The last count issued for the account. */
  count: number;
  type: TokenKind;
  value?: number;
  extended?: boolean;
  restricted?: boolean;
}

/** Issues one token; the caller stores the returned count for the account's next token. */
export function vendToken(o: VendOptions): TokenIssue {
  const key = typeof o.key === 'string' ? keyFromHex(o.key) : o.key;
  if (!key) return { ok: false, error: 'key must be 32 hex digits' };
  return generateToken({
    key,
    startingCode: o.startingCode,
    count: o.count,
    kind: o.type,
    value: o.value === undefined ? 0 : o.value,
    extended: o.extended,
    restricted: o.restricted,
  });
}

function whole(text: string): number {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError('expected a whole number');
  return Number(text);
}

function kind(text: string): TokenKind {
  if (text !== 'add' && text !== 'set' && text !== 'disable' && text !== 'sync') throw new InvalidArgumentError('expected add, set, disable or sync');
  return text;
}

function main(argv: string[]): void {
  const program = new Command();
  program
    .name('vend')
    .description('Issue an OpenPAYGO top-up token')
    .requiredOption('--key <hex>', '16-byte account key, 32 hex digits')
    .requiredOption('--start-code <n>', 'starting code (9 digits)', whole)
    .requiredOption('--count <n>', 'last count issued for this account (1 for a new one)', whole)
    .option('--value <n>', 'credit units for add/set', whole)
    .option('--type <type>', 'add, set, disable or sync', kind, 'add' as TokenKind)
    .option('--extended', '12-digit token, values up to 999999')
    .option('--restricted', 'keys 1-4 only (15 or 20 digits)')
    .action((opts: { key: string; startCode: number; count: number; value?: number; type: TokenKind; extended?: boolean; restricted?: boolean }) => {
      if ((opts.type === 'add' || opts.type === 'set') && opts.value === undefined) program.error('error: --value is required for add and set');
      const r = vendToken({ key: opts.key, startingCode: opts.startCode, count: opts.count, type: opts.type, value: opts.value, extended: opts.extended, restricted: opts.restricted });
      if (!r.ok) program.error('error: ' + r.error);
      else {
        console.log('token: ' + r.token);
        console.log('count: ' + r.count);
      }
    });
  program.parse(argv);
}

if (require.main === module) main(process.argv);
