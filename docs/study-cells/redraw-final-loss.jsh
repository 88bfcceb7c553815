// Re-draws cells-final-loss.png from the table in report.md (the run's numbers: mean and the 95% CI
// of the mean, whose half-width is (high - low) / 2) with CellsSection.finalLossPlot, the code the
// section now uses (its category labels are shortened and rotated; in the run they overlapped).
// jshell --class-path "cli/target/classes:cli/target/lib/*" docs/study-cells/redraw-final-loss.jsh
import java.nio.file.*;
import java.util.*;
import org.l2o4j.cli.study.CellsSection;
List<String> cats = new ArrayList<>();
List<double[]> vals = new ArrayList<>();
for (String line : Files.readAllLines(Path.of("docs/study-cells/report.md"))) {
    if (!line.startsWith("| ") || line.startsWith("| optimizer") || line.startsWith("| ---")) continue;
    String[] c = line.split("\\|");
    String[] ci = c[11].trim().replaceAll("[\\[\\]]", "").split(",");
    cats.add(CellsSection.plotLabel(c[1].trim()));
    vals.add(new double[] {Double.parseDouble(c[9].trim()),
        (Double.parseDouble(ci[1].trim()) - Double.parseDouble(ci[0].trim())) / 2});
}
double[] mean = vals.stream().mapToDouble(v -> v[0]).toArray();
double[] half = vals.stream().mapToDouble(v -> v[1]).toArray();
CellsSection.finalLossPlot(Path.of("docs/study-cells/cells-final-loss.png"),
    "Cells at 60 CPU-s of meta-training each: final loss at T=100 (10 test tasks)",
    "final loss (cross-entropy, nats)", cats, mean, half);
System.out.println(cats);
/exit
