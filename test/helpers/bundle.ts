// OCI bundles for tests: a busybox rootfs from bundles/make-busybox-bundle.sh
// and a config.json the test edits in memory, then save()s.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestContext } from './context';
import { BUNDLE_SCRIPT_PATH } from './paths';

export interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export interface OciNamespace {
  type: string;
  path?: string;
}

export interface OciIdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface OciRlimit {
  type: string;
  soft: number;
  hard: number;
}

export interface OciUser {
  uid: number;
  gid: number;
  umask?: number;
  additionalGids?: number[];
}

export interface OciProcess {
  terminal?: boolean;
  user: OciUser;
  args: string[];
  env?: string[];
  cwd: string;
  rlimits?: OciRlimit[];
  noNewPrivileges?: boolean;
  [field: string]: unknown;
}

export interface OciLinux {
  namespaces?: OciNamespace[];
  uidMappings?: OciIdMapping[];
  gidMappings?: OciIdMapping[];
  cgroupsPath?: string;
  [field: string]: unknown;
}

/** Loosely typed: tests may also write invalid configs on purpose. */
export interface OciConfig {
  ociVersion: string;
  process: OciProcess;
  root: { path: string; readonly?: boolean };
  hostname?: string;
  mounts: OciMount[];
  linux: OciLinux;
  [field: string]: unknown;
}

export interface BundleOptions {
  /** The config of `runc spec --rootless` (user namespace with mappings). */
  rootless?: boolean;
}

export class Bundle {
  config: OciConfig;

  constructor(readonly dir: string) {
    this.config = JSON.parse(fs.readFileSync(this.configPath, 'utf8')) as OciConfig;
  }

  get configPath(): string {
    return path.join(this.dir, 'config.json');
  }

  get rootfs(): string {
    return path.join(this.dir, this.config.root.path);
  }

  save(): this {
    fs.writeFileSync(this.configPath, JSON.stringify(this.config, null, 2));
    return this;
  }

  /** Replace config.json with arbitrary text (malformed JSON tests). */
  writeRawConfig(text: string): void {
    fs.writeFileSync(this.configPath, text);
  }

  setArgs(...args: string[]): this {
    this.config.process.args = args;
    return this;
  }

  setShellScript(script: string): this {
    return this.setArgs('sh', '-c', script);
  }

  setEnv(env: string[]): this {
    this.config.process.env = env;
    return this;
  }

  addEnv(...entries: string[]): this {
    this.config.process.env = [...(this.config.process.env ?? []), ...entries];
    return this;
  }

  setCwd(cwd: string): this {
    this.config.process.cwd = cwd;
    return this;
  }

  setUser(user: OciUser): this {
    this.config.process.user = user;
    return this;
  }

  setHostname(hostname: string): this {
    this.config.hostname = hostname;
    return this;
  }

  setReadonlyRoot(readonly: boolean): this {
    this.config.root.readonly = readonly;
    return this;
  }

  addMount(mount: OciMount): this {
    this.config.mounts.push(mount);
    return this;
  }

  /** Bind a host directory into the container, writable unless `readonly`. */
  addBindMount(hostPath: string, containerPath: string, { readonly = false } = {}): this {
    return this.addMount({
      destination: containerPath,
      type: 'bind',
      source: hostPath,
      options: ['rbind', readonly ? 'ro' : 'rw'],
    });
  }

  setNamespaces(namespaces: OciNamespace[]): this {
    this.config.linux.namespaces = namespaces;
    return this;
  }

  namespaceTypes(): string[] {
    return (this.config.linux.namespaces ?? []).map((namespace) => namespace.type);
  }

  /** Add the namespace, or replace the entry of that type (e.g. to join one by path). */
  setNamespace(namespace: OciNamespace): this {
    const others = (this.config.linux.namespaces ?? []).filter((existing) => existing.type !== namespace.type);
    return this.setNamespaces([...others, namespace]);
  }

  removeNamespace(type: string): this {
    return this.setNamespaces((this.config.linux.namespaces ?? []).filter((namespace) => namespace.type !== type));
  }

  /** A user namespace mapping container ids 0..size-1 to host ids hostId.. (uid and gid alike). */
  setUserNamespace(hostId: number, size: number): this {
    const mapping = [{ containerID: 0, hostID: hostId, size }];
    this.config.linux.uidMappings = mapping;
    this.config.linux.gidMappings = mapping;
    return this.setNamespace({ type: 'user' });
  }

  /** Add an rlimit, replacing one of the same type. */
  setRlimit(type: string, soft: number, hard: number): this {
    const others = (this.config.process.rlimits ?? []).filter((rlimit) => rlimit.type !== type);
    this.config.process.rlimits = [...others, { type, soft, hard }];
    return this;
  }

  setCgroupsPath(cgroupsPath: string): this {
    this.config.linux.cgroupsPath = cgroupsPath;
    return this;
  }
}

/**
 * A fresh bundle in a new directory under the context's temp dir. The script
 * runs once per context and variant; later bundles copy that template.
 */
export function makeBundle(context: TestContext, options: BundleOptions = {}): Bundle {
  const template = bundleTemplate(context, options);
  const dir = context.newDir('bundle');
  execFileSync('cp', ['-a', `${template}/.`, dir]);
  return new Bundle(dir);
}

function bundleTemplate(context: TestContext, { rootless = false }: BundleOptions): string {
  const template = path.join(context.tmpDir, rootless ? 'template-rootless' : 'template');
  if (!fs.existsSync(path.join(template, 'config.json'))) {
    fs.rmSync(template, { recursive: true, force: true });
    execFileSync(BUNDLE_SCRIPT_PATH, rootless ? [template, '--rootless'] : [template], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  return template;
}
