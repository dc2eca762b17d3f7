using Mirage.Cli.Terminal;

namespace Mirage.Tests;

/// <summary>Message lines on a terminal: wrapped at spaces to its width, never cutting a word that fits a line.</summary>
public class TerminalTests
{
    const string Header = "[2/8] train:0 — seed 0: 2 layers, 1 head(s), d_model 128, up to 10,000 steps, 2 thread(s)  (00:01)";

    [Fact]
    public void A_line_wider_than_the_terminal_breaks_at_spaces_and_indents_what_follows()
    {
        var lines = CliContext.Wrap(Header, 80).Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.True(l.Length <= 80, $"{l.Length} columns: {l}"));
        Assert.EndsWith("10,000 steps, 2", lines[0]);   // the last whole word that fits, not "thre" of "thread(s)"
        Assert.Equal("  thread(s)  (00:01)", lines[1]);
        // Nothing lost or reordered: the words read the same, spaces aside.
        Assert.Equal(Header.Split(' ', StringSplitOptions.RemoveEmptyEntries), string.Join(" ", lines).Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void A_line_that_fits_stays_as_it_is_and_a_word_longer_than_a_line_is_cut()
    {
        Assert.Equal(Header, CliContext.Wrap(Header, Header.Length));
        var path = "open " + new string('x', 100);
        var lines = CliContext.Wrap(path, 40).Split('\n');
        Assert.Equal("open", lines[0]);
        Assert.All(lines, l => Assert.True(l.Length <= 40));
        Assert.Equal(new string('x', 100), string.Concat(lines.Skip(1).Select(l => l.Trim())));
    }

    [Fact]
    public void A_split_name_in_a_column_header_breaks_after_underscores()
    {
        Assert.Equal("unseen_\nstructure_\nshort", Mirage.Cli.Display.ColumnHeader.Split("unseen_structure_short"));
        Assert.Equal("seen_\nstructure", Mirage.Cli.Display.ColumnHeader.Split("seen_structure"));
        Assert.Equal("iid", Mirage.Cli.Display.ColumnHeader.Split("iid"));
        Assert.Equal("java", Mirage.Cli.Display.ColumnHeader.Split("java"));
        Assert.Equal("deep_\nnesting_\nheldout", Mirage.Cli.Display.ColumnHeader.Split("deep_nesting_heldout"));
    }
}
