package org.l2o4j.core.lstm;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A persistent pool of daemon worker threads for the LSTM kernels, shared by all optimizers of the
 * JVM (so creating many optimizers never creates many threads). One job runs at a time: {@link
 * #tryRun} returns false when another thread is using the pool, and the caller then does the work
 * alone (the results do not depend on how the work is split). Starting a job allocates nothing.
 * Public for the built-in tasks ({@code MlpTask} splits its minibatch over it); internal to l2o4j.
 */
public final class KernelPool {
    /** A job split into parts. */
    public interface Job {
        /** Runs part {@code part}; called once per part, on the caller or a worker thread. */
        void runPart(int part);
    }

    private static final KernelPool SHARED = new KernelPool();

    /** The pool. */
    public static KernelPool shared() {
        return SHARED;
    }

    private final ReentrantLock busy = new ReentrantLock();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile Thread caller;
    private Worker[] workers = new Worker[0];

    private KernelPool() {}

    /**
     * Runs parts {@code 0 .. parts-1} of the job: part 0 on the calling thread, the others on
     * workers; returns when all are done, rethrowing the first failure.
     *
     * @return false (having run nothing) if the pool is in use by another thread
     */
    public boolean tryRun(Job job, int parts) {
        if (!busy.tryLock()) {
            return false;
        }
        try {
            ensureWorkers(parts - 1);
            caller = Thread.currentThread();
            pending.set(parts - 1);
            for (int w = 0; w < parts - 1; w++) {
                workers[w].start(job, w + 1);
            }
            Throwable failure = null;
            try {
                job.runPart(0);
            } catch (Throwable t) {
                failure = t;
            }
            while (pending.get() != 0) {
                LockSupport.park(this);
            }
            for (int w = 0; w < parts - 1; w++) {
                Throwable t = workers[w].takeFailure();
                if (failure == null) {
                    failure = t;
                }
            }
            if (failure instanceof RuntimeException) {
                throw (RuntimeException) failure;
            }
            if (failure instanceof Error) {
                throw (Error) failure;
            }
            if (failure != null) {
                throw new IllegalStateException(failure);
            }
            return true;
        } finally {
            caller = null;
            busy.unlock();
        }
    }

    private void ensureWorkers(int count) {
        if (workers.length >= count) {
            return;
        }
        Worker[] grown = java.util.Arrays.copyOf(workers, count);
        for (int w = workers.length; w < count; w++) {
            grown[w] = new Worker(w + 1);
        }
        workers = grown;
    }

    private void partDone() {
        if (pending.decrementAndGet() == 0) {
            Thread t = caller;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }

    private final class Worker implements Runnable {
        private final Thread thread;
        private volatile Job job;
        private int part;
        private Throwable failure;

        Worker(int index) {
            thread = new Thread(this, "l2o4j-kernel-" + index);
            thread.setDaemon(true);
            thread.start();
        }

        void start(Job j, int p) {
            part = p;
            job = j; // volatile write publishes part
            LockSupport.unpark(thread);
        }

        Throwable takeFailure() {
            Throwable t = failure;
            failure = null;
            return t;
        }

        @Override
        public void run() {
            while (true) {
                Job j = job;
                if (j == null) {
                    LockSupport.park(this);
                    continue;
                }
                try {
                    j.runPart(part);
                } catch (Throwable t) {
                    failure = t;
                }
                job = null;
                partDone();
            }
        }
    }
}
