/**
 * Content negotiation, as the API server does it: the first media type in `Accept` the server can
 * produce wins. kubectl asks for `application/json;as=Table;v=v1;g=meta.k8s.io` first (server-side
 * printing), controllers sometimes for `as=PartialObjectMetadata`; protobuf is not served, so a
 * client that also accepts JSON gets JSON and one that accepts only protobuf gets 406.
 */
import { notAcceptable } from './status.js';

export type Output =
  | { format: 'json' }
  | { format: 'yaml' }
  | { format: 'table'; apiVersion: string }
  | { format: 'partial'; apiVersion: string };

export const PRODUCED = ['application/json', 'application/yaml', 'application/json;as=Table;v=v1;g=meta.k8s.io'];

interface MediaRange {
  type: string;
  params: Record<string, string>;
}

function parseAccept(accept: string): MediaRange[] {
  return accept
    .split(',')
    .map((part) => {
      const [type = '', ...params] = part.split(';').map((s) => s.trim());
      return {
        type: type.toLowerCase(),
        params: Object.fromEntries(
          params
            .map((p) => p.split('=').map((s) => s.trim()))
            .filter((kv): kv is [string, string] => kv.length === 2)
            .map(([k, v]) => [k, v.replace(/^"|"$/g, '')]),
        ),
      };
    })
    .filter((m) => m.type !== '');
}

/**
 * The representation to answer with. `transformable`: the endpoint serves objects (Table and
 * PartialObjectMetadata apply); discovery and Status answers are plain JSON.
 */
export function negotiate(accept: string | undefined, transformable: boolean): Output {
  if (!accept) return { format: 'json' };
  for (const range of parseAccept(accept)) {
    const as = range.params.as;
    if (range.type === 'application/json' || range.type === 'application/*' || range.type === '*/*') {
      if (as === undefined) return { format: 'json' };
      if (!transformable) continue;
      const group = range.params.g;
      const version = range.params.v ?? 'v1';
      if (group !== 'meta.k8s.io' || (version !== 'v1' && version !== 'v1beta1')) continue;
      if (as === 'Table') return { format: 'table', apiVersion: `meta.k8s.io/${version}` };
      if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList')
        return { format: 'partial', apiVersion: `meta.k8s.io/${version}` };
      continue;
    }
    if ((range.type === 'application/yaml' || range.type === 'application/x-yaml') && as === undefined) return { format: 'yaml' };
  }
  throw notAcceptable(PRODUCED);
}
