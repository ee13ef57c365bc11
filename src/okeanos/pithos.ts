/**
 * Pithos object-store client: the containers and objects LoD keeps its
 * application jars in (container `lambda_applications_<project name>`,
 * upstream.md §5.3). URLs are `{object-store}/{account}/{container}/{object}`;
 * the account is the user uuid.
 *
 * Whole-object PUTs and container PUTs are idempotent, so unlike Cyclades
 * creates they are retried on transient failures.
 */
import { OkeanosError } from './errors.js'
import { OkeanosHttp, joinUrl } from './http.js'

export interface ContainerInfo {
  name: string
  count: number
  bytes: number
  last_modified: string
  x_container_policy?: { project?: string; quota?: string; versioning?: string }
}

export interface ObjectInfo {
  name: string
  bytes: number
  hash: string
  content_type: string
  last_modified: string
}

export interface StoredObject {
  data: Buffer
  contentType: string
  etag: string
}

const notFound = (e: OkeanosError) => e.status === 404

export class PithosClient {
  constructor(
    private readonly http: OkeanosHttp,
    readonly url: string,
    readonly account: string,
  ) {}

  private path(...parts: string[]): string {
    return joinUrl(this.url, this.account, ...parts)
  }

  async listContainers(): Promise<ContainerInfo[]> {
    return (await this.http.request<ContainerInfo[] | undefined>('GET', joinUrl(this.url, this.account), { query: { format: 'json' } })) ?? []
  }

  /** PUT the container, charged to `project` if given. 'created' (201) or 'exists' (202). */
  async createContainer(name: string, project?: string): Promise<'created' | 'exists'> {
    const headers: Record<string, string> = {}
    if (project) headers['x-container-policy-project'] = project
    const res = await this.http.send('PUT', this.path(name), { headers, retry: true, expect: [201, 202] })
    return res?.status === 201 ? 'created' : 'exists'
  }

  /** Container metadata from HEAD, or undefined if it does not exist. */
  async getContainer(name: string): Promise<{ objectCount: number; bytesUsed: number; project: string } | undefined> {
    try {
      const res = await this.http.send('HEAD', this.path(name), { expect: [204, 200] })
      return {
        objectCount: Number(res?.headers.get('x-container-object-count') ?? 0),
        bytesUsed: Number(res?.headers.get('x-container-bytes-used') ?? 0),
        project: res?.headers.get('x-container-policy-project') ?? '',
      }
    } catch (err) {
      if (err instanceof OkeanosError && err.status === 404) return undefined
      throw err
    }
  }

  /** DELETE → 204; 409 while it holds objects. */
  async deleteContainer(name: string): Promise<void> {
    await this.http.send('DELETE', this.path(name), { retry: true, goneOnRetry: notFound, expect: [204] })
  }

  async listObjects(container: string): Promise<ObjectInfo[]> {
    return (await this.http.request<ObjectInfo[] | undefined>('GET', this.path(container), { query: { format: 'json' } })) ?? []
  }

  /** Upload (or replace) a whole object; returns its ETag (MD5). 413 when pithos.diskspace is exhausted. */
  async putObject(container: string, name: string, data: Uint8Array, contentType = 'application/octet-stream'): Promise<string> {
    const res = await this.http.send('PUT', this.path(container, name), {
      rawBody: data,
      headers: { 'content-type': contentType },
      retry: true,
      expect: [201],
    })
    return res?.headers.get('etag') ?? ''
  }

  async getObject(container: string, name: string): Promise<StoredObject> {
    const res = (await this.http.send('GET', this.path(container, name), { headers: { accept: '*/*' } }))!
    return { data: res.body, contentType: res.headers.get('content-type') ?? '', etag: res.headers.get('etag') ?? '' }
  }

  async deleteObject(container: string, name: string): Promise<void> {
    await this.http.send('DELETE', this.path(container, name), { retry: true, goneOnRetry: notFound, expect: [204] })
  }
}
