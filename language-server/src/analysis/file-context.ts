import { ts } from 'ts-morph';
import type { Position, Range } from './types.js';

/** Where the sdk's `fox` is visible in a file. */
export interface FoxImport {
  /** Local name of `fox` (`fox`, or the alias of `import { fox as f }`). */
  localName?: string;
  /** Every local name `fox` is imported under (usually one). */
  localNames: Set<string>;
  /** The value import from `@fox/sdk`, when there is one (to add `fox` to it). */
  declaration?: ts.ImportDeclaration;
}

/**
 * One parsed file with what every rule needs: its paths, `fox` import, module-level mutable
 * bindings and position conversion. Built from a bare `ts.SourceFile`, so syntax-only analysis
 * never needs a program.
 */
export class FileContext {
  readonly foxImport: FoxImport;
  /** Module-level `let`/`var` names: state a worker thread would not share. */
  readonly moduleMutables = new Set<string>();
  /** Module-level declared names (for choosing fresh names in fixes). */
  readonly moduleNames = new Set<string>();
  /** Names imported from packages (not relative paths), by local name → module specifier. */
  readonly packageImports = new Map<string, string>();

  constructor(
    readonly sf: ts.SourceFile,
    /** Absolute path. */
    readonly path: string,
    /** Path relative to the project root, `/` separators. */
    readonly file: string,
  ) {
    this.foxImport = { localNames: new Set() };
    for (const stmt of sf.statements) this.scanTopLevel(stmt);
  }

  private scanTopLevel(stmt: ts.Statement): void {
    if (ts.isImportDeclaration(stmt) && ts.isStringLiteral(stmt.moduleSpecifier)) {
      const spec = stmt.moduleSpecifier.text;
      const clause = stmt.importClause;
      if (!clause) return;
      const names: string[] = [];
      if (clause.name) names.push(clause.name.text);
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) names.push(bindings.name.text);
      if (bindings && ts.isNamedImports(bindings)) {
        for (const el of bindings.elements) {
          names.push(el.name.text);
          const imported = (el.propertyName ?? el.name).text;
          if (spec === '@fox/sdk' && imported === 'fox' && !clause.isTypeOnly && !el.isTypeOnly) {
            this.foxImport.localName ??= el.name.text;
            this.foxImport.localNames.add(el.name.text);
          }
        }
      }
      if (spec === '@fox/sdk' && !clause.isTypeOnly && bindings && ts.isNamedImports(bindings)) {
        this.foxImport.declaration = stmt;
      }
      for (const n of names) {
        this.moduleNames.add(n);
        if (!spec.startsWith('.')) this.packageImports.set(n, spec);
      }
      return;
    }
    if (ts.isVariableStatement(stmt)) {
      const mutable =
        (stmt.declarationList.flags & ts.NodeFlags.BlockScoped) !== ts.NodeFlags.Const;
      for (const d of stmt.declarationList.declarations) {
        for (const n of bindingNames(d.name)) {
          this.moduleNames.add(n);
          if (mutable) this.moduleMutables.add(n);
        }
      }
      return;
    }
    if (
      (ts.isFunctionDeclaration(stmt) ||
        ts.isClassDeclaration(stmt) ||
        ts.isEnumDeclaration(stmt)) &&
      stmt.name
    ) {
      this.moduleNames.add(stmt.name.text);
    }
  }

  private callLikesCache?: readonly (ts.CallExpression | ts.NewExpression)[];

  /**
   * Every call and `new` expression of the file, in document order (a pre-order walk), found
   * once per file for the analyses that look at each of them.
   */
  callLikes(): readonly (ts.CallExpression | ts.NewExpression)[] {
    if (!this.callLikesCache) {
      const found: (ts.CallExpression | ts.NewExpression)[] = [];
      const visit = (node: ts.Node): void => {
        if (node.kind === ts.SyntaxKind.CallExpression || node.kind === ts.SyntaxKind.NewExpression)
          found.push(node as ts.CallExpression | ts.NewExpression);
        ts.forEachChild(node, visit);
      };
      visit(this.sf);
      this.callLikesCache = found;
    }
    return this.callLikesCache;
  }

  /** 0-based LSP position of an offset. */
  position(offset: number): Position {
    const { line, character } = this.sf.getLineAndCharacterOfPosition(offset);
    return { line, character };
  }

  /** 0-based LSP range of a node (from its first token, without leading trivia). */
  range(node: ts.Node): Range {
    return { start: this.position(node.getStart(this.sf)), end: this.position(node.getEnd()) };
  }

  /** 1-based line and column of a node's first token. */
  lineColumn(node: ts.Node): { line: number; column: number } {
    const p = this.position(node.getStart(this.sf));
    return { line: p.line + 1, column: p.character + 1 };
  }

  /** Source text of a node, on one line and at most `max` characters. */
  text(node: ts.Node, max = 80): string {
    const t = node.getText(this.sf).replace(/\s+/g, ' ');
    return t.length > max ? `${t.slice(0, max - 1)}…` : t;
  }

  /** Indentation (leading whitespace) of the line a node starts on. */
  indentOf(node: ts.Node): string {
    const start = node.getStart(this.sf);
    const lineStart = this.sf.text.lastIndexOf('\n', start - 1) + 1;
    return /^[ \t]*/.exec(this.sf.text.slice(lineStart, start))?.[0] ?? '';
  }
}

/** Names bound by a binding name (identifier or destructuring pattern). */
export function bindingNames(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  const out: string[] = [];
  for (const el of name.elements) {
    if (ts.isBindingElement(el)) out.push(...bindingNames(el.name));
  }
  return out;
}
