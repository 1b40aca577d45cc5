import { useEffect, useRef, useState } from 'react';
import { PriceStream, type StreamStatus, type StreamStatusDetail } from '../api/priceStream';
import type { StreamEvent } from '../api/types';
import { useServices } from './services';

export interface StreamState {
  status: StreamStatus;
  detail: StreamStatusDetail;
  /** When the last line (price or heartbeat) arrived, ms since epoch. */
  lastEventAt?: number;
  reconnectNow: () => void;
}

/** Subscribes to the live price stream while the component is mounted. */
export function usePriceStream(
  symbols: string[],
  quote: string,
  onEvent: (event: StreamEvent) => void,
  enabled = true,
): StreamState {
  const { pricingApi } = useServices();
  const [status, setStatus] = useState<{ status: StreamStatus; detail: StreamStatusDetail }>({
    status: 'connecting',
    detail: {},
  });
  const [lastEventAt, setLastEventAt] = useState<number>();
  const onEventRef = useRef(onEvent);
  onEventRef.current = onEvent;
  const streamRef = useRef<PriceStream | undefined>(undefined);
  const key = symbols.join(',');

  useEffect(() => {
    if (!enabled) return;
    const stream = new PriceStream({
      url: pricingApi.streamUrl(quote, key ? key.split(',') : []),
      onEvent: (event) => {
        setLastEventAt(Date.now());
        onEventRef.current(event);
      },
      onStatus: (next, detail) => setStatus({ status: next, detail }),
    });
    streamRef.current = stream;
    stream.start();
    const online = () => stream.reconnectNow();
    window.addEventListener('online', online);
    return () => {
      window.removeEventListener('online', online);
      stream.stop();
      streamRef.current = undefined;
    };
  }, [pricingApi, quote, key, enabled]);

  return {
    ...status,
    lastEventAt,
    reconnectNow: () => streamRef.current?.reconnectNow(),
  };
}
