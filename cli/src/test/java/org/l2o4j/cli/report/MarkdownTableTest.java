package org.l2o4j.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class MarkdownTableTest {
    @Test
    void formatsNumbers() {
        assertEquals("1", MarkdownTable.num(1.0));
        assertEquals("0.3", MarkdownTable.num(0.3));
        assertEquals("0.01235", MarkdownTable.num(0.0123456));
        assertEquals("1e-4", MarkdownTable.num(1e-4));
        assertEquals("1.235e6", MarkdownTable.num(1234567));
        assertEquals("-2.5", MarkdownTable.num(-2.5));
        assertEquals("n/a", MarkdownTable.num(Double.NaN));
        assertEquals("inf", MarkdownTable.num(Double.POSITIVE_INFINITY));
        assertEquals("0", MarkdownTable.num(0));
    }

    @Test
    void rendersRowsAndChecksWidth() {
        MarkdownTable t = new MarkdownTable("a", "b").row("x|y", 2);
        assertEquals("| a | b |\n| --- | ---: |\n| x\\|y | 2 |\n", t.render());
        assertThrows(IllegalArgumentException.class, () -> t.row(1));
    }
}
