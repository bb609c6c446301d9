/** Scanner settings are data: validated with zod at the boundary (config files, CLI flags). */
import { z } from 'zod';

export const MAX_LINE_BYTES = 4096;

export const TerminatorSchema = z.enum(['CR', 'LF', 'CRLF', 'any']);
export type Terminator = z.infer<typeof TerminatorSchema>;

export const ScannerSettingsSchema = z
  .object({
    /** Device path (/dev/ttyACM0, a pty link, COM3). */
    path: z.string().min(1, 'path is empty').max(4096),
    baud: z.number().int().min(50).max(4_000_000).default(9600),
    dataBits: z.literal([5, 6, 7, 8]).default(8),
    parity: z.enum(['none', 'even', 'odd', 'mark', 'space']).default('none'),
    stopBits: z.literal([1, 1.5, 2]).default(1),
    /** Which line ending ends a scan; 'any' accepts CR, LF and CR LF. */
    terminator: TerminatorSchema.default('any'),
    /** A prefix some scanners add; stripped when present. Empty = none. */
    prefix: z
      .string()
      .max(64)
      .refine((s) => !/[\r\n]/.test(s), 'prefix cannot contain CR or LF')
      .default(''),
  })
  .strict();

export type ScannerSettingsInput = z.input<typeof ScannerSettingsSchema>;
export type ScannerSettings = z.output<typeof ScannerSettingsSchema>;

export function parseScannerSettings(input: unknown): ScannerSettings {
  return ScannerSettingsSchema.parse(input);
}
