/**
 * The prefixes of route and group limiters: the same route (methods, URL pattern, constraints) always gets the same
 * text, whatever order its constraints were written in, and different routes get different texts.
 */
import { describe, expect, it } from 'vitest';
import { groupPrefix, routePrefix } from '../../src/http/routePrefix.js';

describe('routePrefix', () => {
  it('is the plugin prefix, `route:`, the methods, the constraints and the URL pattern', () => {
    expect(routePrefix('sl:', 'POST', '/item/:id', undefined)).toBe('sl:route:POST:/item/:id:');
    expect(routePrefix('sl:', ['GET', 'HEAD'], '/item', undefined)).toBe('sl:route:GET,HEAD:/item:');
    expect(routePrefix('', '', '*', undefined)).toBe('route::*:');
    expect(routePrefix('sl:', 'GET', '/v', { version: '1.0.0' })).toBe('sl:route:GET:{"version":"1.0.0"}/v:');
    expect(groupPrefix('sl:', 'login')).toBe('sl:group:login:');
  });

  it('has no constraints text for none: undefined, null, an empty object, a value that is not an object', () => {
    const plain = routePrefix('sl:', 'GET', '/', undefined);
    for (const none of [null, {}, Object.create(null), 'host', 7, true]) expect(routePrefix('sl:', 'GET', '/', none)).toBe(plain);
  });

  it('writes constraints with their keys sorted, at every depth', () => {
    const text = (constraints: unknown) => routePrefix('sl:', 'GET', '/', constraints);
    expect(text({ version: '1.0.0', host: 'api.example.com' })).toBe(text({ host: 'api.example.com', version: '1.0.0' }));
    expect(text({ host: 'a', custom: { b: 1, a: [2, { d: null, c: 'x' }] } })).toBe(
      'sl:route:GET:{"custom":{"a":[2,{"c":"x","d":null}],"b":1},"host":"a"}/:',
    );
    expect(text({ custom: { b: 1, a: 2 } })).toBe(text({ custom: { a: 2, b: 1 } }));
  });

  it('writes a RegExp as its literal, unquoted, so it is told from a string and from another RegExp', () => {
    const text = (host: unknown) => routePrefix('sl:', 'GET', '/', { host });
    expect(text(/^api\./i)).toBe('sl:route:GET:{"host":/^api\\./i}/:');
    expect(text(/a/)).not.toBe(text(/b/));
    expect(text(/a/)).not.toBe(text('/a/'));
    expect(text(/a/)).not.toBe(text({}));
    expect(text([/a/, 'a'])).toBe('sl:route:GET:{"host":[/a/,"a"]}/:');
  });

  it('tells apart values that print alike: a string and a number, an array and an object, null and a missing value', () => {
    const text = (host: unknown) => routePrefix('sl:', 'GET', '/', { host });
    const texts = ['1', 1, [1], { 0: 1 }, null, undefined, [], {}, '', 'null', true, 'true'].map(text);
    expect(new Set(texts).size).toBe(texts.length);
    expect(text(undefined)).toBe('sl:route:GET:{"host":undefined}/:');
    expect(text([])).toBe('sl:route:GET:{"host":[]}/:');
    expect(text({})).toBe('sl:route:GET:{"host":{}}/:');
  });

  it('gives the same URL pattern with and without constraints different prefixes', () => {
    expect(routePrefix('sl:', 'GET', '/a', { host: 'x' })).not.toBe(routePrefix('sl:', 'GET', '/a', undefined));
    expect(routePrefix('sl:', 'GET', '/a', { host: 'x' })).not.toBe(routePrefix('sl:', 'GET', '/a', { host: 'y' }));
  });
});
