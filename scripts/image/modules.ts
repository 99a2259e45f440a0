// Which kernel modules go into the image: the ones asked for plus everything they depend on, read
// from the kernel's modules.dep (made by `depmod -b` over the unpacked kernel package). Pure, tested
// in test/unit/image/.

/** The name modprobe and /sys/module use: '-' and '_' are the same. */
export function moduleName(pathOrName: string): string {
  const base = pathOrName.slice(pathOrName.lastIndexOf('/') + 1).replace(/\.ko(\.(xz|gz|zst))?$/, '');
  return base.replace(/-/g, '_');
}

/** modules.dep: `kernel/a/b.ko: kernel/c.ko kernel/d.ko` -> path -> its dependencies' paths. */
export function parseModulesDep(text: string): Map<string, string[]> {
  const deps = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    deps.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim().split(/\s+/).filter(Boolean));
  }
  return deps;
}

/** modules.builtin: one `kernel/x/y.ko` per line -> the names built into the kernel. */
export function parseBuiltin(text: string): Set<string> {
  return new Set(text.split('\n').map((l) => l.trim()).filter(Boolean).map(moduleName));
}

export interface ModuleSelection {
  /** Module file paths (relative to lib/modules/<version>/), dependencies included, sorted. */
  files: string[];
  /** Names asked for that are built into the kernel (nothing to copy). */
  builtin: string[];
  /** Names that are neither a module nor built in. */
  unknown: string[];
}

export function selectModules(wanted: readonly string[], deps: Map<string, string[]>, builtin: Set<string>): ModuleSelection {
  const byName = new Map<string, string>();
  for (const path of deps.keys()) byName.set(moduleName(path), path);
  const files = new Set<string>();
  const out: ModuleSelection = { files: [], builtin: [], unknown: [] };
  const visit = (path: string) => {
    if (files.has(path)) return;
    files.add(path);
    for (const d of deps.get(path) ?? []) visit(d);
  };
  for (const w of wanted) {
    const name = moduleName(w);
    const path = byName.get(name);
    if (path) visit(path);
    else if (builtin.has(name)) out.builtin.push(w);
    else out.unknown.push(w);
  }
  out.files = [...files].sort();
  return out;
}
