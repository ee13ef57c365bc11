import { api } from './api.js'

// What the user may choose from on ~okeanos, read by the service with their token: the flavors' sizes, the
// projects with quota, the SSH keys.

export interface VmChoices {
  vcpus: number[]
  ram: number[]
  disk: number[]
}

export interface Project {
  id: string
  name: string
}

export interface PublicKey {
  id: string
  name: string
}

export async function choices(): Promise<{ vm: VmChoices; projects: Project[]; keys: PublicKey[] }> {
  const [vm, projects, keys] = await Promise.all([
    api<VmChoices[]>('GET', '/api/vm-parameter-values/'),
    api<Project[]>('GET', '/api/user-okeanos-projects/'),
    api<PublicKey[]>('GET', '/api/user-public-keys/'),
  ])
  return { vm: vm.data[0] ?? { vcpus: [], ram: [], disk: [] }, projects: projects.data, keys: keys.data }
}

export const projects = async () => (await api<Project[]>('GET', '/api/user-okeanos-projects/')).data
