import { useCallback, useEffect, useRef, useState } from 'react';
import type { Price } from '../api/types';

/** How often streamed prices are pushed to React (a busy stream sends many per second). */
const FLUSH_MS = 400;

/**
 * Latest price per symbol. Updates are collected in a ref and published at
 * most every FLUSH_MS so a fast stream does not re-render the table per tick.
 */
export function usePriceBook() {
  const book = useRef(new Map<string, Price>());
  const dirty = useRef(false);
  const [snapshot, setSnapshot] = useState<ReadonlyMap<string, Price>>(new Map());

  useEffect(() => {
    const timer = setInterval(() => {
      if (!dirty.current) return;
      dirty.current = false;
      setSnapshot(new Map(book.current));
    }, FLUSH_MS);
    return () => clearInterval(timer);
  }, []);

  const put = useCallback((prices: Price[], immediate = false) => {
    for (const price of prices) {
      const known = book.current.get(price.symbol);
      // Keep the newest by source time; the stream may replay the current price.
      if (known && known.updateTime && price.updateTime && Date.parse(price.updateTime) < Date.parse(known.updateTime)) {
        continue;
      }
      book.current.set(price.symbol, price);
    }
    if (immediate) {
      dirty.current = false;
      setSnapshot(new Map(book.current));
    } else {
      dirty.current = true;
    }
  }, []);

  return { prices: snapshot, put };
}
