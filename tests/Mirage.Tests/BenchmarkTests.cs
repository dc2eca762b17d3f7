using Mirage.Benchmarks;
using Mirage.Model;

namespace Mirage.Tests;

/// <summary>The benchmark's arithmetic (no timing is ever asserted: figures on a shared machine are not reproducible).</summary>
public class BenchmarkTests
{
    [Fact]
    public void Spread_is_the_median_and_range()
    {
        Assert.Equal(new Spread(3, 1, 9, 5), Spread.Of([9, 1, 3, 7, 2]));
        Assert.Equal(new Spread(2.5, 1, 4, 4), Spread.Of([4, 1, 2, 3]));   // even count: mean of the two middle values
        Assert.Equal(new Spread(5, 5, 5, 1), Spread.Of([5]));
        Assert.Equal(new Spread(6, 2, 18, 5), Spread.Of([9, 1, 3, 7, 2]).Times(2));
        Assert.Throws<ArgumentException>(() => Spread.Of([]));
    }

    [Fact]
    public void Model_flops_of_the_default_Dyck_model_match_a_hand_count()
    {
        var c = new ModelConfig { VocabSize = 43, ContextLength = 64 };   // 2 layers, 1 head, d_model 128, d_mlp 512
        // Per layer: qkv 128·384 + out 128·128 + MLP 2·128·512 = 49,152 + 16,384 + 131,072 = 196,608; two layers
        // 393,216; unembedding 128·43 = 5,504.
        Assert.Equal(398_720, ModelFlops.MatmulParameters(c));
        // Forward at T = 63: 2 · 398,720 + attention 2 layers · (q·kᵀ 2·63·128 + pattern·v 2·63·128) = 797,440 + 64,512.
        Assert.Equal(861_952, ModelFlops.ForwardPerToken(c, 63));
        Assert.Equal(3 * 861_952, ModelFlops.TrainingPerToken(c, 63));
        // Four heads of 32: the same products, the same count.
        Assert.Equal(861_952, ModelFlops.ForwardPerToken(c with { Heads = 4 }, 63));
    }

    [Fact]
    public void Model_flops_count_the_attention_width_not_d_model()
    {
        // d_head set apart from d_model: 2 heads of 16 in a d_model 64 model, so the attention width is 32.
        var c = new ModelConfig { Layers = 1, Heads = 2, DModel = 64, DHead = 16, DMlp = 256, VocabSize = 10, ContextLength = 20 };
        long p = 64 * 96 + 32 * 64 + 2 * 64 * 256 + 64 * 10;
        Assert.Equal(p, ModelFlops.MatmulParameters(c));
        Assert.Equal(2.0 * p + 4 * 1 * 20 * 32, ModelFlops.ForwardPerToken(c, 20));
    }
}
