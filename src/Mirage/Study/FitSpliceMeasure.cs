using Mirage.Faithfulness;
using Mirage.Model;
using Mirage.Simplify;
using Mirage.Tasks;
using static TorchSharp.torch;

namespace Mirage.Study;

/// <summary>
/// The study's core for one trained model (docs/method.md §4.1): fit each proxy on the fit set's queries and keys (or
/// on the head's weights), splice it into the forward pass at its head, and measure the spliced model against the
/// model on a split. Everything around it — which points, which splits, rows, statistics — is orchestration.
/// </summary>
public static class FitSpliceMeasure
{
    /// <summary>Fits every point; the caller disposes the proxies. <paramref name="seedOf"/> seeds a proxy's random draws (k-means++).</summary>
    public static List<Proxy> Fit(IEnumerable<ProxyPoint> points, ActivationCapture fitSet, IReadOnlyDictionary<string, Tensor> weights, Func<ProxyPoint, int> seedOf,
        CancellationToken cancel = default)
    {
        var fitted = new List<Proxy>();
        try
        {
            foreach (var pt in points)
            {
                cancel.ThrowIfCancellationRequested();
                var w = HeadWeights.From(weights, pt.Head);
                pt.Proxy.CheckParameter(pt.Parameter, (int)w.W_Q.shape[1], fitSet.Count, pt.Proxy.Name);
                var proxy = pt.Proxy.Create(pt.Parameter, seedOf(pt));
                fitted.Add(proxy);
                proxy.Fit(pt.Proxy.NeedsData ? fitSet.Head(pt.Head.Layer, pt.Head.Head) : null, w, pt.Head, cancel);
            }
            return fitted;
        }
        catch
        {
            foreach (var p in fitted) p.Dispose();
            throw;
        }
    }

    /// <summary>A fitted proxy's hooks, at the head it was fitted on.</summary>
    public static SplicedProxy Splice(Proxy p) => new(p.Name, p.Parameter, p.Head.Site, p.Head.Layer, p.Head.Head, p.Hooks());

    /// <summary>
    /// Each proxy spliced in, against the model, on <paramref name="sequences"/> (only those at <paramref name="only"/>
    /// when given; the results stay indexed by position in <paramref name="sequences"/>).
    /// </summary>
    public static List<SplitFaithfulness> Measure(HookedTransformer model, ISequenceTask task, string split, IReadOnlyList<int[]> sequences,
        IReadOnlyList<Proxy> proxies, int batchSize, IReadOnlyList<int>? only = null, CancellationToken cancel = default) =>
        FaithfulnessEvaluator.Evaluate(model, task, split, sequences, proxies.Select(Splice).ToList(), batchSize, only, cancel);
}
