import { z } from 'zod';

/** Every execution mode name of the Fox strategy matrix. */
export const ModeSchema = z.enum(['sfox', 'wfox', 'tfox', 'mfox', 'dfox', 'auto']);
export type Mode = z.infer<typeof ModeSchema>;

/** The modes that actually run a call (`auto` resolves to one of these). */
export type ConcreteMode = Exclude<Mode, 'auto'>;
