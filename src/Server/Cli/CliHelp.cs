namespace SteerServer.Server.Cli;

/// <summary><c>--help</c> (or <c>-h</c>) of every command; printed to stdout with exit code 0.</summary>
internal static class CliHelp
{
    public const string Usage = "usage: SteerServer [serve|generate|tokenize|bench|profile] [options]   (SteerServer COMMAND --help for its options)";

    public static bool Requested(IEnumerable<string> args) => args.Any(a => a is "--help" or "-h");

    public static string? For(string command) => command switch
    {
        "serve" => Serve(),
        "generate" => Generate,
        "tokenize" => Tokenize,
        "bench" => Bench,
        "profile" => Profile,
        _ => null,
    };

    public static string Overview => $"""
        {Usage}

        commands:
          serve      the OpenAI-compatible HTTP server (the default command)
          generate   generate from one prompt, optionally steered
          tokenize   token ids, strings and offsets of a text or a chat request
          bench      prefill/decode tokens/s of the engine (llama-bench's figures)
          profile    choose PASTA heads for a model from task examples
        """;

    private static string Serve()
    {
        var lines = ServeCommand.Options.Select(o => $"  {"--" + o.Flag + (o.Value is null ? "" : " " + o.Value),-29} {o.Help}{(o.Key is null ? "" : $" [{o.Key}]")}");
        return $"""
            usage: SteerServer serve --model DIR|ORG/NAME [options]

            Runs the OpenAI-compatible server. Every flag is a name for the configuration key in brackets
            (appsettings.json < environment variables such as SteerServer__Queue__MaxBatch=4 < flags).
            The listen address comes from --host/--port, --urls, or ASPNETCORE_URLS / ASPNETCORE_HTTP_PORTS;
            without any of them it is http://0.0.0.0:8080.

            options:
            {string.Join('\n', lines)}
              --Section:Key=value           any other configuration key
              -h, --help                    this text
            """;
    }

    private const string Generate = """
        usage: SteerServer generate --model DIR|ORG/NAME (--prompt TEXT [--chat] | --prompt-ids 1,403,407) [options]

        Generates from one prompt and prints the tokens as they come (timing on stderr).

        options:
          --model DIR|ORG/NAME          model directory or Hugging Face id (from the HF cache)
          --prompt TEXT                 the prompt; GUIDE tags (<!-> … <-!>) apply unless steering is false
          --chat                        render --prompt as one user message with the chat template
          --prompt-ids IDS              comma-separated token ids instead of --prompt
          --max-tokens N                tokens to generate (64)
          --temperature T               0 = greedy (1.0)
          --top-k K, --top-p P, --min-p P, --seed S
          --presence-penalty X, --frequency-penalty X
          --top-logprobs K              with --json: the K most likely tokens per step
          --ignore-eos                  keep generating past EOS
          --steering JSON               the API's steering object
          --steering-file FILE          the same, read from a file
          --json                        one JSON object per token, then {"steering_applied":..,"influence":..}
          --dtype f32|bf16|f16|q8_0|q4  weight format (as stored)
          --threads N                   compute threads (all cores)
          --backend NAME, --device DEV  engine backend (cpu, or torch when built) and its device
          -h, --help                    this text
        """;

    private const string Tokenize = """
        usage: SteerServer tokenize --model DIR (--text TEXT | --chat FILE.json) [--no-special]

        Prints {"ids":[..],"tokens":[..],"offsets":[[start,end],..]} (offsets in code points); with --chat also
        "prompt", the rendered chat template. Needs only the tokenizer files, no weights.

        options:
          --model DIR                   model directory (tokenizer.json, tokenizer_config.json)
          --text TEXT                   text to tokenize
          --chat FILE.json              {"messages":[..],"tools":[..],"add_generation_prompt":true,"chat_template_kwargs":{..}}
          --no-special                  do not add special tokens (BOS)
          -h, --help                    this text
        """;

    private const string Bench = """
        usage: SteerServer bench (--model DIR | --random SHAPE [--seed N]) [options]
               SteerServer bench --kernels [--threads N] [--repeat N] [--json]
               SteerServer bench --serve URL [serving options]

        Prefill (pp) and decode (tg) tokens/s of the engine, median of --repeat runs, as llama-bench prints them;
        with --serve, a serving benchmark against any OpenAI-compatible server (this one, llama-server, vLLM).

        options:
          --model DIR                   a Hugging Face model directory
          --random SHAPE                a random model of a real shape (smollm2-135m, stories15m, qwen2.5-0.5b, ...)
          --seed N                      seed of the random weights and prompt (0)
          --dtype LIST                  comma list of f32, bf16, f16, q8_0, q4 (as stored)
          --prompt-tokens N             prompt length (128)
          --gen-tokens N                tokens decoded (64)
          --batch LIST                  comma list of sequences decoded together (1)
          --threads N                   compute threads (all cores)
          --backend NAME, --device DEV  engine backend (cpu, or torch when built) and its device
          --steering JSON               also run steered (token_spans, head_config, alpha); unsteered and steered alternate
          --repeat N                    runs per configuration (3)
          --profile                     time the decode step's forward stages
          --json                        one JSON line per configuration
          --kernels                     the matrix products alone (GB/s, GFLOP/s)
          --best-only                   with --kernels: only the best variant

        serving options (--serve URL):
          --model NAME                  the model to request (the server's first)
          --requests N, --concurrency N requests in all (16) and at once (8)
          --prompt-tokens N, --gen-tokens N   per request (256, 64)
          --long-prompt-tokens N        one long prompt arriving mid-run (0 = none)
          --influence N, --influence-words N  concurrent Influence requests (0) of that many words (400)
          --prompt-vocab N              token ids drawn below this (32000)
          --server-pid PID              also report the server's memory
          --api-key KEY, --timeout S, --no-ignore-eos, --seed N, --json
          -h, --help                    this text
        """;

    private const string Profile = """
        usage: SteerServer profile --model DIR --tasks FILE.jsonl [options]
               SteerServer profile --model DIR --tasks FILE.jsonl --evaluate HEADS.json

        Ranks every (layer, head) by how much steering it alone helps the tasks (PASTA model profiling) and writes
        the union of each task's top-k heads. Ctrl+C stops after the current head; the same command resumes.

        options:
          --model DIR                   model directory or Hugging Face id
          --tasks FILE.jsonl            one example per line: task, prompt or messages, substrings, target
          --alpha A                     PASTA alpha (0.01)
          --scale-position MODE         exclude, include or generation (exclude)
          --top-k K                     heads kept per task (4)
          --metric logprob|accuracy     ranking metric (logprob)
          --out FILE                    result file (heads.json)
          --head-config-out FILE        head-set file (heads.head_config.json)
          --scores FILE                 per-head score log for resuming (heads.scores.jsonl)
          --fresh                       start over instead of resuming
          --max-heads N                 stop after N heads (a partial run)
          --no-evaluate                 skip the evaluation block
          --evaluate HEADS.json         only compare this head set with no steering and all heads
          --dtype f32|bf16|f16|q8_0|q4  weight format (as stored)
          --threads N                   compute threads (all cores)
          --backend NAME, --device DEV  engine backend (cpu, or torch when built) and its device
          -h, --help                    this text
        """;
}
