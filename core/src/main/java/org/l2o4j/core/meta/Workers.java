package org.l2o4j.core.meta;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * A fixed pool of daemon worker threads running an index loop in parallel. Work items pull indices
 * from a shared counter; callers make results independent of which thread ran which index.
 */
final class Workers implements AutoCloseable {
    private final int threads;
    private final ExecutorService pool;

    Workers(int threads) {
        this.threads = threads;
        if (threads > 1) {
            AtomicInteger id = new AtomicInteger();
            this.pool =
                    Executors.newFixedThreadPool(
                            threads - 1,
                            r -> {
                                Thread t = new Thread(r, "l2o4j-meta-" + id.incrementAndGet());
                                t.setDaemon(true);
                                return t;
                            });
        } else {
            this.pool = null;
        }
    }

    int threads() {
        return threads;
    }

    /** Runs {@code body} for every index in {@code [0, n)}, the calling thread included. */
    void forEach(int n, IntConsumer body) {
        if (pool == null || n <= 1) {
            for (int i = 0; i < n; i++) {
                body.accept(i);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Runnable work =
                () -> {
                    for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                        body.accept(i);
                    }
                };
        int helpers = Math.min(threads, n) - 1;
        List<Future<?>> futures = new ArrayList<>(helpers);
        // a helper runs only if it claims its flag before the caller revokes it (below)
        java.util.concurrent.atomic.AtomicBoolean[] claimed =
                new java.util.concurrent.atomic.AtomicBoolean[helpers];
        for (int t = 0; t < helpers; t++) {
            java.util.concurrent.atomic.AtomicBoolean c =
                    new java.util.concurrent.atomic.AtomicBoolean();
            claimed[t] = c;
            futures.add(
                    pool.submit(
                            () -> {
                                if (c.compareAndSet(false, true)) {
                                    work.run();
                                }
                            }));
        }
        RuntimeException failure = null;
        try {
            work.run();
        } catch (RuntimeException e) {
            failure = e;
            next.set(n);
        }
        for (int t = 0; t < helpers; t++) {
            // every index is taken (by the caller or a running helper): a helper that has not
            // started yet (on a busy machine the scheduler may not have run it) has nothing left
            // to do, so it is revoked instead of waited for
            if (claimed[t].compareAndSet(false, true)) {
                continue;
            }
            Future<?> f = futures.get(t);
            try {
                f.get();
            } catch (ExecutionException e) {
                if (failure == null) {
                    Throwable c = e.getCause();
                    failure =
                            c instanceof RuntimeException
                                    ? (RuntimeException) c
                                    : new IllegalStateException(c);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) {
                    failure = new IllegalStateException("interrupted", e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
