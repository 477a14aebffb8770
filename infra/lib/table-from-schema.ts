/**
 * Turns the code's CreateTable definition (src/store/table-schema.ts) into CDK table props,
 * so the deployed table has exactly the keys and index the store queries. Anything in the
 * definition this mapping does not understand stops the synth rather than being dropped.
 */
import { aws_dynamodb as dynamodb } from 'aws-cdk-lib';
import { tableDefinition } from '../../src/store/table-schema';

type Def = ReturnType<typeof tableDefinition>;
type KeySchema = NonNullable<Def['KeySchema']>;

function attribute(def: Def, name: string | undefined): dynamodb.Attribute {
  const found = def.AttributeDefinitions?.find((a) => a.AttributeName === name);
  if (!name || !found) throw new Error(`table-schema: key attribute ${String(name)} has no AttributeDefinition`);
  const types: Record<string, dynamodb.AttributeType> = {
    S: dynamodb.AttributeType.STRING,
    N: dynamodb.AttributeType.NUMBER,
    B: dynamodb.AttributeType.BINARY,
  };
  const type = types[String(found.AttributeType)];
  if (!type) throw new Error(`table-schema: unsupported attribute type ${String(found.AttributeType)} for ${name}`);
  return { name, type };
}

function keys(def: Def, schema: KeySchema | undefined, what: string) {
  const hash = schema?.filter((k) => k.KeyType === 'HASH') ?? [];
  const range = schema?.filter((k) => k.KeyType === 'RANGE') ?? [];
  if (hash.length !== 1 || range.length > 1 || (schema?.length ?? 0) !== hash.length + range.length) {
    throw new Error(`table-schema: ${what} must have one HASH key and at most one RANGE key`);
  }
  return {
    partitionKey: attribute(def, hash[0].AttributeName),
    sortKey: range.length === 1 ? attribute(def, range[0].AttributeName) : undefined,
  };
}

export interface SchemaTableProps {
  partitionKey: dynamodb.Attribute;
  sortKey?: dynamodb.Attribute;
  billingMode: dynamodb.BillingMode;
  globalSecondaryIndexes: dynamodb.GlobalSecondaryIndexProps[];
}

export function tablePropsFromSchema(): SchemaTableProps {
  const def = tableDefinition('schema-only');
  if (def.BillingMode !== 'PAY_PER_REQUEST') {
    throw new Error(`table-schema: BillingMode ${String(def.BillingMode)} is not handled by infra (expected PAY_PER_REQUEST)`);
  }
  if (def.LocalSecondaryIndexes?.length) throw new Error('table-schema: local secondary indexes are not handled by infra');
  const globalSecondaryIndexes = (def.GlobalSecondaryIndexes ?? []).map((g): dynamodb.GlobalSecondaryIndexProps => {
    if (!g.IndexName) throw new Error('table-schema: a GSI has no IndexName');
    const projection = g.Projection?.ProjectionType ?? 'ALL';
    if (projection !== 'ALL' && projection !== 'KEYS_ONLY') {
      throw new Error(`table-schema: GSI ${g.IndexName} projection ${projection} is not handled by infra`);
    }
    return {
      indexName: g.IndexName,
      ...keys(def, g.KeySchema, `GSI ${g.IndexName}`),
      projectionType: projection === 'ALL' ? dynamodb.ProjectionType.ALL : dynamodb.ProjectionType.KEYS_ONLY,
    };
  });
  return {
    ...keys(def, def.KeySchema, 'the table'),
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    globalSecondaryIndexes,
  };
}
