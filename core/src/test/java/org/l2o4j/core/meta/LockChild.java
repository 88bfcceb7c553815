package org.l2o4j.core.meta;

import java.nio.file.Path;

/** Child JVM of {@link RunFilesTest}: takes a lock, says so, and holds it until killed. */
public final class LockChild {
    private LockChild() {}

    public static void main(String[] args) throws Exception {
        RunFiles.Lock lock = RunFiles.lock(Path.of(args[0]));
        System.out.println("locked " + ProcessHandle.current().pid());
        System.out.flush();
        Thread.sleep(120_000);
        lock.close();
    }
}
