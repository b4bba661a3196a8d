/**
 * Finds every object-typed parameter of the public API by reading `src/index.ts` with the
 * TypeScript compiler: exported functions, constructors, and the public methods (static and
 * instance) of exported classes. A test compares the result with its table of checked options,
 * so a new options object (or a new nested one) cannot be added without being checked.
 */
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

/** One options object: `connect#options`, or a nested one such as `connect#options.retry`. */
export interface OptionSite {
  /** `fn#param`, `Class.method#param`, `new Class#param`, plus `.prop` per nesting level. */
  id: string
  /** Declared keys; one list per object member of a union (e.g. the forms of a filter). */
  keys: string[][]
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

export function optionSites(): OptionSite[] {
  const index = `${ROOT}src/index.ts`
  const program = ts.createProgram([index], { strict: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, noEmit: true, skipLibCheck: true, types: ['node'] })
  const checker = program.getTypeChecker()
  const source = program.getSourceFile(index)
  if (source === undefined) throw new Error(`cannot read ${index}`)
  const moduleSymbol = checker.getSymbolAtLocation(source)
  if (moduleSymbol === undefined) throw new Error('src/index.ts has no exports')
  const sites: OptionSite[] = []

  /** The object members of `t` that look like options: plain data declared in src/, no methods. */
  const optionMembers = (t: ts.Type): ts.Type[] => {
    const n = checker.getNonNullableType(t)
    const members = n.isUnion() ? n.types : [n]
    return members.filter((m) => isOptionObject(m))
  }
  const isOptionObject = (t: ts.Type): boolean => {
    if (!(t.flags & ts.TypeFlags.Object) && !t.isIntersection()) return false
    if (checker.isArrayType(t) || checker.isTupleType(t)) return false
    if (t.getCallSignatures().length > 0 || t.getConstructSignatures().length > 0) return false
    const props = checker.getPropertiesOfType(t)
    if (props.length === 0) return false
    for (const p of props) {
      for (const d of p.declarations ?? []) {
        const file = d.getSourceFile().fileName
        if (!file.startsWith(`${ROOT}src/`)) return false // lib and package types (Date, Float32Array...)
        if (ts.isMethodSignature(d) || ts.isMethodDeclaration(d)) return false // a service object, not options
        if (ts.isClassElement(d)) return false // a class instance
      }
    }
    return true
  }
  const visit = (id: string, t: ts.Type, at: ts.Node, outer: readonly ts.Type[]): void => {
    const members = optionMembers(t)
    const self = checker.getNonNullableType(t)
    // A recursive type (a filter's `not`) is checked where it first appears.
    if (members.length === 0 || outer.includes(self)) return
    sites.push({ id, keys: members.map((m) => checker.getPropertiesOfType(m).map((p) => p.name)) })
    for (const m of members) {
      for (const p of checker.getPropertiesOfType(m)) visit(`${id}.${p.name}`, checker.getTypeOfSymbolAtLocation(p, at), at, [...outer, self])
    }
  }
  const signatures = (name: string, sigs: readonly ts.Signature[], at: ts.Node): void => {
    for (const sig of sigs) {
      for (const param of sig.getParameters()) {
        const decl = param.valueDeclaration ?? at
        visit(`${name}#${param.name}`, checker.getTypeOfSymbolAtLocation(param, decl), decl, [])
      }
    }
  }
  const isPublicDeclaration = (d: ts.Declaration): boolean => {
    const mods = ts.canHaveModifiers(d) ? ts.getModifiers(d) ?? [] : []
    const internal = ts.getJSDocTags(d).some((tag) => tag.tagName.text === 'internal')
    return !internal && !mods.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword)
  }
  const isPublic = (p: ts.Symbol): boolean => !p.name.startsWith('#') && !p.name.startsWith('__') && (p.declarations ?? []).every(isPublicDeclaration)
  /** `export type { C }`: the class cannot be constructed through the package, but its instances come out of it. */
  const typeOnly = (exported: ts.Symbol): boolean => (exported.declarations ?? []).some((d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly))

  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const sym = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
    const decl = sym.valueDeclaration
    if (decl === undefined) continue // types only
    const type = checker.getTypeOfSymbolAtLocation(sym, decl)
    if (sym.flags & ts.SymbolFlags.Class) {
      const ctor = (sym.declarations ?? []).flatMap((d) => (ts.isClassDeclaration(d) ? d.members.filter(ts.isConstructorDeclaration) : []))
      if (!typeOnly(exported) && ctor.every(isPublicDeclaration)) signatures(`new ${exported.name}`, type.getConstructSignatures(), decl)
      for (const p of checker.getPropertiesOfType(type)) {
        if (p.name === 'prototype' || typeOnly(exported) || !isPublic(p) || p.valueDeclaration === undefined) continue
        signatures(`${exported.name}.${p.name}`, checker.getTypeOfSymbolAtLocation(p, p.valueDeclaration).getCallSignatures(), p.valueDeclaration)
      }
      for (const p of checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(sym))) {
        if (!isPublic(p) || p.valueDeclaration === undefined) continue
        if (!(p.flags & ts.SymbolFlags.Method)) continue
        signatures(`${exported.name}.${p.name}`, checker.getTypeOfSymbolAtLocation(p, p.valueDeclaration).getCallSignatures(), p.valueDeclaration)
      }
    } else {
      signatures(exported.name, type.getCallSignatures(), decl)
    }
  }
  const seen = new Map<string, OptionSite>()
  for (const s of sites) if (!seen.has(s.id)) seen.set(s.id, s)
  return [...seen.values()].sort((a, b) => a.id.localeCompare(b.id))
}
