/** Pictures of convolution filters: one heatmap per filter, colours that follow the weights, clear errors. */
import { describe, expect, it } from 'vitest';
import { filtersSvg } from '../../src/index.js';

describe('filtersSvg', () => {
  it('draws one kh×kw grid per output filter, red for positive and blue for negative weights', () => {
    const data = new Float32Array(2 * 1 * 2 * 3);
    data[0] = 1; // filter 0, top-left: the largest weight → pure red
    data[6 + 5] = -1; // filter 1, bottom-right → pure blue
    const svg = filtersSvg({ shape: [2, 1, 2, 3], data }, { title: 'conv1', cell: 5 });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<rect x=/g)!.length).toBe(2 * 2 * 3);
    expect(svg).toContain('fill="rgb(255,0,0)"');
    expect(svg).toContain('fill="rgb(0,0,255)"');
    expect(svg.match(/fill="rgb\(255,255,255\)"/g)!.length).toBe(10);
    expect(svg).toContain('conv1');
  });

  it('draws three-channel filters in colour, each on its own range', () => {
    const data = new Float32Array(1 * 3 * 1 * 2);
    data.set([0, 1, /* G */ 0, 0, /* B */ 0, 0]);
    const svg = filtersSvg({ shape: [1, 3, 1, 2], data });
    expect(svg).toContain('fill="rgb(0,0,0)"');
    expect(svg).toContain('fill="rgb(255,0,0)"');
  });

  it('limits the input channels drawn and says so', () => {
    const svg = filtersSvg({ shape: [1, 10, 1, 1], data: new Float32Array(10).fill(0.5) }, { maxInputChannels: 4 });
    expect(svg.match(/<rect x=/g)!.length).toBe(4);
    expect(svg).toContain('first 4 of 10 input channels');
  });

  it('rejects what is not a 4-D weight', () => {
    expect(() => filtersSvg({ shape: [2, 3], data: new Float32Array(6) })).toThrow(/\[out, in, kh, kw\]/);
    expect(() => filtersSvg({ shape: [1, 1, 2, 2], data: new Float32Array(3) })).toThrow(/length 4/);
  });
});
