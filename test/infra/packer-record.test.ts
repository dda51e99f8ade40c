import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { DirectoryStore } from '../../src/infra/directory-store.js';
import {
  findImage,
  IMAGE_RECORD_SCHEMA,
  type ImageRecord,
  imageRecordKey,
  recordImage,
  recordPrefixOf,
} from '../../src/infra/image-record.js';
import { type ObjectStore, WriteConflictError } from '../../src/infra/object-store.js';
import { tempDir } from '../support/temp.js';

const HASH = 'a'.repeat(64);

const record = (imageId: string, hash = HASH): ImageRecord => ({
  schema: IMAGE_RECORD_SCHEMA,
  hash,
  imageId,
  artifactId: `eu-west-1:${imageId}`,
  builder: 'amazon-ebs',
  template: 'infra/packer/aws.pkr.hcl',
  kubernetesVersion: '1.20.12',
  baseImage: 'ubuntu/images/hvm-ssd/ubuntu-bionic-18.04-amd64-server-20210907',
  files: [{ path: 'infra/packer/aws.pkr.hcl', sha256: 'b'.repeat(64) }],
  packerRunUuid: 'run-1',
  builtAt: '2026-12-01T10:00:00.000Z',
  builtBy: { repository: 'example/clusters', runId: '42' },
});

describe('the image record (images/<hash>.json beside the state)', () => {
  it('is found after it is recorded, and not before', async () => {
    const store = new DirectoryStore(await tempDir('lsa-images-'));
    expect(await findImage(store, HASH)).toBeUndefined();

    expect(await recordImage(store, record('ami-0123456789abcdef0'))).toEqual({ record: record('ami-0123456789abcdef0'), lostRace: false });
    expect(await findImage(store, HASH)).toEqual(record('ami-0123456789abcdef0'));
    expect(imageRecordKey(HASH)).toBe(`images/${HASH}.json`);
  });

  it("keeps a cluster's records beside its state, apart from another cluster's in the same bucket", async () => {
    const store = new DirectoryStore(await tempDir('lsa-images-'));
    const shop = recordPrefixOf('clusters/demo-shop/terraform.tfstate');
    expect(imageRecordKey(HASH, shop)).toBe(`clusters/demo-shop/terraform.tfstate.lambdastack/images/${HASH}.json`);

    await recordImage(store, record('ami-0000000000000000a'), shop);

    expect((await findImage(store, HASH, shop))?.imageId).toBe('ami-0000000000000000a');
    expect(await findImage(store, HASH, recordPrefixOf('clusters/demo-analytics/terraform.tfstate'))).toBeUndefined();
    expect(await findImage(store, HASH)).toBeUndefined();
  });

  it('keeps the first record of a hash: a later one gets the first back, and the store keeps the first', async () => {
    const store = new DirectoryStore(await tempDir('lsa-images-'));
    await recordImage(store, record('ami-00000000000000001'));

    const second = await recordImage(store, record('ami-00000000000000002'));

    expect(second).toEqual({ record: record('ami-00000000000000001'), lostRace: true });
    expect((await findImage(store, HASH))?.imageId).toBe('ami-00000000000000001');
  });

  it('agrees on one image when many runs record the same hash at once', async () => {
    const store = new DirectoryStore(await tempDir('lsa-images-'));
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, i) => recordImage(store, record(`ami-${String(i).padStart(17, '0')}`))),
    );
    expect(new Set(outcomes.map((outcome) => outcome.record.imageId)).size).toBe(1);
    expect(outcomes.filter((outcome) => !outcome.lostRace)).toHaveLength(1);
  });

  it('refuses a record that is not one of this hash, saying to delete it', async () => {
    const store = new DirectoryStore(await tempDir('lsa-images-'));
    await store.put(imageRecordKey(HASH), 'not json', { ifNoneMatch: '*' });
    await expect(findImage(store, HASH)).rejects.toThrow(UserError);
    await expect(findImage(store, HASH)).rejects.toThrow(
      new RegExp(
        `/images/${HASH}\\.json is not an image record of this hash \\(not JSON\\): delete it, and the next run bakes and records the image again$`,
      ),
    );

    const other = 'c'.repeat(64);
    await store.put(imageRecordKey(other), JSON.stringify(record('ami-1', HASH)), { ifNoneMatch: '*' });
    await expect(findImage(store, other)).rejects.toThrow(`(it is the record of ${HASH})`);
  });

  it('passes the conflict on when the winning record is gone by the time it is read', async () => {
    const store: ObjectStore = {
      location: 'memory://flaky',
      get: async () => undefined,
      put: async (key, _body, condition) => {
        throw new WriteConflictError('memory://flaky', key, condition);
      },
    };
    await expect(recordImage(store, record('ami-1'))).rejects.toBeInstanceOf(WriteConflictError);
  });
});
