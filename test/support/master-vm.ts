import type { Test } from 'tap'
import { Okeanos } from '../../src/okeanos/index.js'
import { personalityFile } from '../../src/instances/jobs/provisioning.js'
import { DEMO_PROJECT_ID, IMAGES, demoUsers, fastDelays, startEmulator, type Emulator } from '../../src/okeanos/emulator/index.js'
import { generateClusterKeyPair, type ClusterKeyPair } from '../../src/instances/jobs/ssh-key.js'
import { MasterShell } from '../../src/cluster/master.js'

// A master VM built as provisioning.ts builds one: authorized_keys = the user's keys + the cluster's
// generated public key, the key pair in /root/.ssh, metadata lod_instance/lod_role.

export interface World {
  emu: Emulator
  ok: Okeanos
  /** Builds a server, waits for ACTIVE; `role` goes to lod_role. */
  master(opts?: { role?: string; pair?: ClusterKeyPair; name?: string }): Promise<{ id: number; pair: ClusterKeyPair }>
  shell(privateKey: string): Promise<MasterShell>
}

export async function world(t: Test): Promise<World> {
  const emu = await startEmulator({ delays: fastDelays })
  t.teardown(() => emu.close())
  const [alice] = demoUsers()
  const ok = await Okeanos.connect(emu.identityUrl, alice!.token, { backoffMs: 1 })
  const flavor = (await ok.compute.findFlavor(2, 2048, 20))!
  const userKeys = (await ok.compute.listUserKeys()).map((k) => k.content.trim())
  let n = 0
  return {
    emu,
    ok,
    async master(opts = {}) {
      const pair = opts.pair ?? generateClusterKeyPair()
      const role = opts.role ?? 'master'
      const s = await ok.compute.createServer({
        name: opts.name ?? `lambda-${role}-${++n}`,
        flavorRef: flavor.id,
        imageRef: role === 'master' ? IMAGES.lodMaster : IMAGES.lodSlave,
        project: DEMO_PROJECT_ID,
        networks: [],
        personality: [
          personalityFile('/root/.ssh/authorized_keys', [...userKeys, pair.publicKey].join('\n') + '\n'),
          personalityFile('/root/.ssh/id_rsa.pub', pair.publicKey + '\n'),
          personalityFile('/root/.ssh/id_rsa', pair.privateKey),
        ],
        metadata: { lod_instance: 'test-instance', lod_role: role },
      })
      await ok.compute.waitServerUntil(s.id, 'ACTIVE', { intervalMs: 5, timeoutMs: 3000 })
      return { id: s.id, pair }
    },
    async shell(privateKey) {
      const shell = await MasterShell.connect({ host: '127.0.0.1', port: emu.sshPort, privateKey, connectTimeoutMs: 3000 })
      t.teardown(() => shell.close())
      return shell
    },
  }
}
