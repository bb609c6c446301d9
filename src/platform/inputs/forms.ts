/**
 * Node variants one HIS family sends (clients.md section 2): the spec's node under another name
 * (`mdtrtinfo` for `dscginfo`), or its fields bare, without the node. The wire schema is the union of
 * the two forms, each forbidding the other's keys, so it says exactly what is accepted; `parseInput`
 * picks the form by its keys (for errors that name the field), refuses an input carrying both, and
 * folds the variant into the spec's form.
 */
import { z } from 'zod';

type Form = 'spec' | 'variant' | 'both';
export interface NodeForms {
  form(raw: unknown): Form;
  schema(form: 'spec' | 'variant'): z.ZodType;
  bothMessage: string;
  fold(value: Record<string, unknown>, form: 'spec' | 'variant'): void;
}

const FORMS = new WeakMap<z.ZodType, NodeForms>();
/** The two forms behind a wire schema made by `withNodeVariant`, if it is one. */
export const nodeFormsOf = (schema: z.ZodType): NodeForms | undefined => FORMS.get(schema);

const absent = (keys: string[]) => Object.fromEntries(keys.map((k) => [k, z.never().optional()]));

/** `spec` (an object with `node`), or the same with `node` named `variant`, or (variant null) its fields bare. */
export function withNodeVariant<S extends z.ZodObject>(spec: S, node: string, variant: string | null): z.ZodUnion<readonly [S, z.ZodType]> {
  const inner = spec.shape[node] as z.ZodObject;
  const innerKeys = Object.keys(inner.shape);
  const rest = Object.fromEntries(Object.entries(spec.shape).filter(([k]) => k !== node)) as z.ZodRawShape;
  const specForm = spec.extend(absent(variant ? [variant] : innerKeys)) as unknown as S;
  const variantForm = variant ? z.looseObject({ ...rest, [variant]: inner, ...absent([node]) }) : z.looseObject({ ...inner.shape, ...rest, ...absent([node]) });
  const union = z.union([specForm, variantForm]);
  const present = (o: Record<string, unknown>, k: string) => o[k] !== undefined;
  FORMS.set(union, {
    form(raw) {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return 'spec';
      const o = raw as Record<string, unknown>;
      const hasVariant = variant ? present(o, variant) : innerKeys.some((k) => present(o, k));
      if (present(o, node) && hasVariant) return 'both';
      return hasVariant ? 'variant' : 'spec';
    },
    schema: (form) => (form === 'spec' ? specForm : variantForm),
    bothMessage: variant
      ? `input: carries both ${node} and ${variant}; send one of them`
      : `input: carries ${node} and its fields bare (${innerKeys.join(', ')}) at once; send one form`,
    fold(value, form) {
      if (form === 'spec') return;
      if (variant) {
        value[node] = value[variant];
        delete value[variant];
        return;
      }
      const fields: Record<string, unknown> = {};
      for (const k of Object.keys(value)) {
        if (Object.hasOwn(rest, k)) continue;
        fields[k] = value[k];
        delete value[k];
      }
      value[node] = fields;
    },
  });
  return union;
}
