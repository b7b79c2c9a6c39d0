// An OCI image archive made at test time from a busybox rootfs: the image layout of
// image-spec (oci-layout, index.json, blobs/sha256/<digest>: one uncompressed tar layer, the
// config, the manifest), tarred. `ctr images import` and `podman load` both take it.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface OciImage {
  /** The archive (a tar of the layout). */
  archive: string;
  /** The name both clients give it (index.json's ref.name annotation). */
  reference: string;
  /** Environment of the image config. */
  env: string[];
}

export function buildOciArchive(rootfs: string, workDir: string, reference: string): OciImage {
  const layout = path.join(workDir, 'oci-layout');
  const blobs = path.join(layout, 'blobs', 'sha256');
  fs.mkdirSync(blobs, { recursive: true });
  const put = (bytes: Buffer): { digest: string; size: number } => {
    const hex = createHash('sha256').update(bytes).digest('hex');
    fs.writeFileSync(path.join(blobs, hex), bytes);
    return { digest: `sha256:${hex}`, size: bytes.length };
  };

  const layerTar = path.join(workDir, 'layer.tar');
  execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '--sort=name', '-C', rootfs, '-cf', layerTar, '.']);
  const layer = put(fs.readFileSync(layerTar));
  fs.rmSync(layerTar);

  const env = ['PATH=/usr/local/bin:/usr/bin:/bin', 'HUSK_IMAGE=busybox'];
  const config = put(
    Buffer.from(
      JSON.stringify({
        architecture: ociArchitecture(),
        os: 'linux',
        config: { Env: env, Cmd: ['/bin/sh'], WorkingDir: '/' },
        // Uncompressed layer: its diff id is its digest.
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
        history: [{ created_by: 'husk client tests: busybox-static rootfs' }],
      }),
    ),
  );
  const manifest = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
      }),
    ),
  );
  fs.writeFileSync(
    path.join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          platform: { architecture: ociArchitecture(), os: 'linux' },
          annotations: { 'org.opencontainers.image.ref.name': reference, 'io.containerd.image.name': reference },
        },
      ],
    }),
  );
  fs.writeFileSync(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const archive = path.join(workDir, 'busybox-oci.tar');
  execFileSync('tar', ['-C', layout, '-cf', archive, '.']);
  fs.rmSync(layout, { recursive: true, force: true });
  return { archive, reference, env };
}

/** Node's name for this machine's architecture, in OCI's (GOARCH) spelling. */
function ociArchitecture(): string {
  return ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[process.arch] ?? process.arch;
}
