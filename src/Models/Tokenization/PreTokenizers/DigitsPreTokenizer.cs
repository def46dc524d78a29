using System.Globalization;

namespace SteerServer.Models.Tokenization.PreTokenizers;

/// <summary><c>{"type":"Digits","individual_digits":..}</c>: isolates numeric characters, one by one or in runs.</summary>
internal sealed class DigitsPreTokenizer(bool individualDigits) : IPreTokenizer
{
    public bool ProducesByteLevel => false;

    public void PreTokenize(List<NormalizedText> pieces)
    {
        var output = new List<NormalizedText>(pieces.Count * 2);
        var matches = new List<(int, int)>();
        foreach (var piece in pieces)
        {
            matches.Clear();
            var t = piece.Text;
            for (int i = 0; i < t.Length;)
            {
                int len = TextUnits.CharLength(t, i);
                if (IsNumeric(TextUnits.CodePointAt(t, i))) matches.Add((i, i + len));
                i += len;
            }
            Splitting.Apply(piece, Splitting.Cover(matches, piece.Length), individualDigits ? SplitBehavior.Isolated : SplitBehavior.Contiguous, false, output);
        }
        pieces.Clear();
        pieces.AddRange(output);
    }

    // Rust char::is_numeric: general categories Nd, Nl, No.
    private static bool IsNumeric(int cp) => CharUnicodeInfo.GetUnicodeCategory(cp) is
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;
}
