import {
  FoxAbortedError,
  FoxConfigError,
  FoxDuplicateTaskError,
  FoxError,
  FoxRejectedError,
  FoxShutdownError,
  FoxStoreError,
  FoxStoreTooNewError,
  FoxTimeoutError,
  FoxValidationError,
  type FoxErrorCode,
} from './errors.js';

type FoxErrorClass = abstract new (...args: never[]) => FoxError;

/**
 * Fox's error classes by code, so an error that crossed a boundary as data (a tfox worker's) is
 * re-created as the class it was. Each module that defines error classes registers them. The
 * classes are this copy's, so this map is per copy of the sdk (unlike process state, which is
 * shared: see state/process-state.ts). Internal: not exported from the package.
 */
const classes = new Map<string, FoxErrorClass>();

/** Records which class raises `codes`. */
export function registerFoxErrorClass(cls: FoxErrorClass, ...codes: FoxErrorCode[]): void {
  for (const code of codes) classes.set(code, cls);
}

/**
 * An instance of the class registered for `code` (FoxError when none is), made without calling
 * its constructor: the caller copies the original's fields onto it. For errors re-created from
 * data; never for raising a new error.
 */
export function blankFoxError(code: FoxErrorCode, message: string): FoxError {
  const err = new Error(message);
  Object.setPrototypeOf(err, (classes.get(code) ?? FoxError).prototype);
  return err as FoxError;
}

registerFoxErrorClass(FoxConfigError, 'FOX_CONFIG');
registerFoxErrorClass(FoxDuplicateTaskError, 'FOX_DUPLICATE_TASK');
registerFoxErrorClass(FoxValidationError, 'FOX_VALIDATION');
registerFoxErrorClass(FoxRejectedError, 'FOX_REJECTED');
registerFoxErrorClass(FoxTimeoutError, 'FOX_TIMEOUT');
registerFoxErrorClass(FoxAbortedError, 'FOX_ABORTED');
registerFoxErrorClass(FoxShutdownError, 'FOX_SHUTDOWN');
registerFoxErrorClass(FoxStoreError, 'FOX_STORE');
registerFoxErrorClass(FoxStoreTooNewError, 'FOX_STORE_TOO_NEW');
