import { dirname, join } from 'node:path';
import { ts, type Project } from 'ts-morph';

/**
 * When the project does not have `@fox/sdk` installed yet, a wrapped function's types would be
 * checked against an unresolved import (`any`), which hides exactly the errors the check is for.
 * The check then runs with this stand-in: the sdk's `fox` signatures as an ambient module.
 */
const STAND_IN = `declare module '@fox/sdk' {
  export type Foxed<A extends unknown[], R, This = unknown> = (this: This, ...args: A) => Promise<Awaited<R>>;
  export interface FoxOptions { mode?: 'sfox' | 'wfox' | 'tfox' | 'mfox' | 'auto'; [option: string]: unknown }
  type AsyncMethod<This, A extends unknown[], R> = (this: This, ...args: A) => R;
  export interface FoxDecorator {
    <This, A extends unknown[], R extends PromiseLike<unknown>>(
      value: AsyncMethod<This, A, R>,
      context: ClassMethodDecoratorContext<This, AsyncMethod<This, A, R>>,
    ): AsyncMethod<This, A, R>;
    <T extends (...args: never[]) => PromiseLike<unknown>>(
      target: object,
      propertyKey: string | symbol,
      descriptor: TypedPropertyDescriptor<T>,
    ): void;
  }
  export interface FoxApi {
    <A extends unknown[], R, This = unknown>(options: FoxOptions, fn: (this: This, ...args: A) => R): Foxed<A, R, This>;
    (options?: FoxOptions): FoxDecorator;
  }
  export const fox: FoxApi;
}
`;

/** A declaration file to add while checking a fix in `path`, or undefined when the sdk resolves. */
export function sdkStandIn(
  project: Project,
  path: string,
): { path: string; text: string } | undefined {
  const resolved = ts.resolveModuleName(
    '@fox/sdk',
    path,
    project.getCompilerOptions(),
    project.getModuleResolutionHost(),
  );
  if (resolved.resolvedModule) return undefined;
  return { path: join(dirname(path), '__fox_sdk_stand_in__.d.ts'), text: STAND_IN };
}
