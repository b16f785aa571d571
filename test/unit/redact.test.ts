import { expect } from 'chai';
import { Writable } from 'node:stream';
import { REDACTED, Redactor } from '../../src/run/redact.ts';

describe('the redactor', () => {
  it('replaces a secret wherever it appears', () => {
    const r = new Redactor().add('00supersecrettoken');
    expect(r.redact('Authorization: SSWS 00supersecrettoken, again 00supersecrettoken')).to.equal(`Authorization: SSWS ${REDACTED}, again ${REDACTED}`);
  });

  it('replaces the JSON-escaped and URL-encoded forms too', () => {
    const r = new Redactor().add('a/b+c"d=secret');
    expect(r.redact(JSON.stringify({ v: 'a/b+c"d=secret' }))).to.equal(`{"v":"${REDACTED}"}`);
    expect(r.redact(`x=${encodeURIComponent('a/b+c"d=secret')}`)).to.equal(`x=${REDACTED}`);
  });

  it('registers the private members of a JWK but not the public ones', () => {
    const r = new Redactor().addPrivateJwk({ kty: 'RSA', n: 'public-modulus-value', e: 'AQAB', d: 'private-exponent-value', p: 'prime-one-value' });
    expect(r.redact('public-modulus-value private-exponent-value prime-one-value')).to.equal(`public-modulus-value ${REDACTED} ${REDACTED}`);
  });

  it('leaves short values alone, so ordinary words survive', () => {
    const r = new Redactor().add('short', '', undefined);
    expect(r.size).to.equal(0);
    expect(r.redact('short text')).to.equal('short text');
  });

  it('guards a stream until the guard is lifted', () => {
    let out = '';
    const stream = new Writable({
      write(chunk, _e, cb) {
        out += String(chunk);
        cb();
      },
    }) as unknown as NodeJS.WriteStream;
    const r = new Redactor().add('00supersecrettoken');
    const lift = r.guard(stream);
    stream.write('token 00supersecrettoken\n');
    lift();
    stream.write('after 00supersecrettoken\n');
    expect(out).to.equal(`token ${REDACTED}\nafter 00supersecrettoken\n`);
  });
});
