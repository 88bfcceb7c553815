package org.l2o4j.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.l2o4j.pretrained.ManifestTool;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code l2o manifest MANIFEST (list | add ID WEIGHTS [--description TEXT] | remove ID | verify)}:
 * maintains the sha256 manifest of shipped weight files (see {@code pretrained/README.md}).
 */
@Command(
        name = "manifest",
        mixinStandardHelpOptions = true,
        description = {
            "Maintain a manifest of weight files (sha256-verified on load).",
            "  l2o manifest MANIFEST list",
            "  l2o manifest MANIFEST add ID WEIGHTS [--description TEXT]",
            "  l2o manifest MANIFEST remove ID",
            "  l2o manifest MANIFEST verify"
        })
final class ManifestCommand implements Callable<Integer> {
    @Parameters(arity = "2..*", paramLabel = "ARGS", description = "MANIFEST, then the action.")
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        return ManifestTool.run(args.toArray(new String[0]), System.out, System.err);
    }
}
