/** The one flag parser of every command (src/cli/args.ts), in process: typed values, defaults, help, errors. */
import { describe, expect, it } from 'vitest';
import { helpText, parseFlags, UsageError, type Flags } from '../../src/cli/args.js';

const FLAGS = {
  epochs: { type: 'number', value: 'N', integer: true, positive: true, default: 10, short: 'e', group: 'training', help: 'last epoch' },
  lr: { type: 'number', value: 'X', positive: true, group: 'training', help: 'learning rate' },
  split: { type: 'number', value: 'F', min: 0, below: 1, default: 0.2, help: 'held-out share' },
  from: { type: 'number', value: 'X', default: -6, help: 'left end' },
  optimizer: { type: 'choice', choices: ['sgd', 'adam', 'adamw'], default: 'adam', group: 'training', help: 'optimizer' },
  surfaces: { type: 'list', choices: ['saddle', 'ravine', 'beale'], default: ['saddle'], help: 'surfaces' },
  save: { type: 'string', value: 'PATH', help: 'checkpoint file' },
  json: { type: 'boolean', help: 'JSON output' },
} as const satisfies Flags;

const parse = (...args: string[]) => parseFlags('demo', args, FLAGS);
const fails = (args: string[]) => {
  try {
    parse(...args);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`${args.join(' ')} was accepted`);
};

describe('parseFlags', () => {
  it('applies defaults and records which flags were given', () => {
    const { values, given } = parse();
    expect(values).toMatchObject({ epochs: 10, split: 0.2, from: -6, optimizer: 'adam', surfaces: ['saddle'], json: false, help: false });
    expect(values.lr).toBeUndefined();
    expect(values.save).toBeUndefined();
    expect(given.size).toBe(0);
  });

  it('reads --flag value, --flag=value, short flags, negative numbers, lists and booleans into typed values', () => {
    const { values, given } = parse('-e', '3', '--lr=0.05', '--from', '-2.5', '--optimizer', 'sgd', '--surfaces', 'ravine,beale', '--save', 'a.ckpt', '--json');
    expect(values.epochs).toBe(3);
    expect(values.lr).toBe(0.05);
    expect(values.from).toBe(-2.5);
    expect(values.optimizer).toBe('sgd');
    expect(values.surfaces).toEqual(['ravine', 'beale']);
    expect(values.save).toBe('a.ckpt');
    expect(values.json).toBe(true);
    expect([...given].sort()).toEqual(['epochs', 'from', 'json', 'lr', 'optimizer', 'save', 'surfaces']);
    expect(parse('-h').values.help).toBe(true);
  });

  it('names the flag in every error, with the closest known name or choice', () => {
    expect(fails(['--epoch', '3'])).toBe("unknown option '--epoch'; did you mean '--epochs'? (see 'descent demo --help')");
    expect(fails(['--zzzzzz'])).toBe("unknown option '--zzzzzz' (see 'descent demo --help')");
    expect(fails(['--lr', 'fast'])).toBe("--lr expects a positive number, received 'fast'");
    expect(fails(['--epochs', '2.5'])).toBe("--epochs expects a positive integer, received '2.5'");
    expect(fails(['--split', '1'])).toBe("--split expects a number in [0, 1), received '1'");
    expect(fails(['--optimizer', 'adamm'])).toBe("--optimizer expects one of sgd, adam, adamw, received 'adamm'; did you mean 'adam'?");
    expect(fails(['--surfaces', 'saddle,ravin'])).toMatch(/^--surfaces expects one of saddle, ravine, beale, received 'ravin'; did you mean 'ravine'\?/);
    expect(fails(['--save'])).toBe('--save needs a value (PATH)');
    expect(fails(['--save', '--json'])).toBe('--save needs a value (PATH)');
    expect(fails(['--json=yes'])).toBe("--json takes no value, received 'yes'");
    expect(fails(['--lr', '1', '--lr', '2'])).toBe('--lr is given twice');
    expect(fails(['extra'])).toMatch(/^unexpected argument 'extra'/);
    expect(fails(['-x'])).toMatch(/^unknown option '-x'/);
  });

  it('generates the help from the same definitions: every flag, grouped, with its choices and default', () => {
    const help = helpText({ usage: 'descent demo [options]', summary: 'A demo.', flags: FLAGS, footer: 'examples\n  descent demo -e 3' });
    for (const name of Object.keys(FLAGS)) expect(help).toContain(`--${name}`);
    expect(help).toMatch(/^usage: descent demo \[options\]\n\nA demo\.\n\ntraining\n {2}-e, --epochs N/);
    expect(help).toMatch(/--optimizer NAME +optimizer \(sgd \| adam \| adamw; default adam\)/);
    expect(help).toMatch(/--split F +held-out share \(default 0\.2\)/);
    expect(help).toMatch(/--surfaces LIST +surfaces \(saddle \| ravine \| beale; default saddle\)/);
    expect(help).toMatch(/-h, --help +this help/);
    expect(help.indexOf('\ntraining\n')).toBeLessThan(help.indexOf('\noptions\n'));
    expect(help.endsWith('examples\n  descent demo -e 3')).toBe(true);
  });
});
