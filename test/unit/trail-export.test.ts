import { parseTrailEvent, TrailEvent } from '../../src/domain/trail-event';
import { CSV_COLUMNS, csvCell, csvHeader, exportLines, toCsvLine, toNdjsonLine } from '../../src/timeline/trail-export';
import { attackerScenario, buildEvent, examplePrincipal, FixtureRandom, iamUserIdentity, regionOf } from '../../sandbox/cloudtrail-fixtures';

const principal = examplePrincipal(5);
const T0 = Date.parse('2024-05-01T10:00:00Z');

/** A minimal RFC 4180 parser (quoted fields, doubled quotes, CRLF inside quotes), to read exports back. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell.length > 0 || row.length > 0) rows.push([...row, cell]);
  return rows;
}

function hostileEvent(): TrailEvent {
  const wire = buildEvent(
    {
      service: 'iam', name: 'CreateUser', timeMs: T0, region: 'us-east-1', identity: iamUserIdentity(principal), sourceIp: '198.51.100.7',
      userAgent: '=HYPERLINK("http://evil.example","click"), "quoted"\r\nsecond line',
      requestParameters: { userName: '@SUM(A1:A9)', tags: [{ key: 'k', value: 'a,b' }] },
      responseElements: { user: { userName: '@SUM(A1:A9)', arn: 'arn:aws:iam::123456789012:user/x' } },
    },
    new FixtureRandom(1),
  );
  return parseTrailEvent(wire, 'us-east-1');
}

describe('csvCell', () => {
  it('quotes every non-empty cell, doubling quotes', () => {
    expect(csvCell('plain')).toBe('"plain"');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell(' padded ')).toBe('" padded "');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(false)).toBe('"false"');
    expect(csvCell({ a: 1 })).toBe('"{""a"":1}"');
  });

  it('neutralises cells a spreadsheet would run as formulas', () => {
    expect(csvCell('=1+1')).toBe(`"'=1+1"`);
    expect(csvCell('+1')).toBe(`"'+1"`);
    expect(csvCell('-1')).toBe(`"'-1"`);
    expect(csvCell('@SUM(A1)')).toBe(`"'@SUM(A1)"`);
    expect(csvCell('=A1,B1')).toBe(`"'=A1,B1"`);
  });

  it('keeps a cell whole in a spreadsheet that splits on ";" or tab: the formula half stays text', () => {
    const cell = csvCell('aws-cli;=HYPERLINK("http://x")');
    // A locale splitting on ';' splits only outside quotes: the cell is one quoted field.
    expect(cell.startsWith('"') && cell.endsWith('"')).toBe(true);
    const inner = cell.slice(1, -1);
    expect(inner).toContain('=HYPERLINK');
    expect(inner.split('""').join('').includes('"')).toBe(false);
  });
});

describe('CSV export', () => {
  it('has a header naming every column and one row per event that reads back to the same values', () => {
    const e = hostileEvent();
    const rows = parseCsv(csvHeader() + toCsvLine(e));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    const row = Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, rows[1][i]]));
    expect(row.eventName).toBe('CreateUser');
    expect(row.eventTime).toBe('2024-05-01T10:00:00.000Z');
    expect(row.userAgent).toBe(`'${e.userAgent}`);
    expect(row.sourceIp).toBe('198.51.100.7');
    expect(row.readOnly).toBe('false');
    expect(JSON.parse(row.requestParameters)).toEqual(e.requestParameters);
    expect(row.eventId).toBe(e.id);
    expect(rows[1]).toHaveLength(CSV_COLUMNS.length);
  });
});

describe('NDJSON export', () => {
  it('writes the CloudTrail record as one line that parses back', () => {
    const e = hostileEvent();
    const line = toNdjsonLine(e);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toMatch(/[\r\n]/);
    const back = JSON.parse(line);
    expect(back).toEqual(e.record);
    expect(back.userIdentity.accessKeyId).toBe(principal.accessKeyId);
  });

  it('falls back to the parsed fields when the record could not be read', () => {
    const e = parseTrailEvent({ EventId: 'x1', EventName: 'ListBuckets', EventTime: new Date(T0), CloudTrailEvent: '{not json' }, 'eu-west-1');
    expect(JSON.parse(toNdjsonLine(e))).toMatchObject({ id: 'x1', name: 'ListBuckets', region: 'eu-west-1' });
  });
});

describe('exportLines', () => {
  const events = attackerScenario({ seed: 3, principal, startMs: T0 }).events.map((w) => parseTrailEvent(w, regionOf(w)));

  async function collect(format: 'csv' | 'ndjson', source: AsyncIterable<TrailEvent> | Iterable<TrailEvent>): Promise<string> {
    let out = '';
    for await (const line of exportLines(source, format)) out += line;
    return out;
  }

  it('streams a CSV with a header and a row per event', async () => {
    const text = await collect('csv', events);
    const rows = parseCsv(text);
    expect(rows).toHaveLength(events.length + 1);
    expect(rows.slice(1).map((r) => r[CSV_COLUMNS.indexOf('eventId')])).toEqual(events.map((e) => e.id));
  });

  it('streams NDJSON from an async source, a line per event', async () => {
    async function* source() {
      for (const e of events) yield e;
    }
    const lines = (await collect('ndjson', source())).trimEnd().split('\n');
    expect(lines).toHaveLength(events.length);
    expect(lines.map((l) => JSON.parse(l).eventID)).toEqual(events.map((e) => e.id));
  });
});
