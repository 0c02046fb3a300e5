import cliProgress from 'cli-progress';

/** A progress bar drawn by the screen, below every log line written while it is shown. */
export interface Bar {
  update(value: number, total: number, payload: Record<string, unknown>): void;
  /** Leaves the final frame on its own line; what is written next starts below it. */
  stop(): void;
}

/**
 * The one owner of the terminal during an interactive command. The logger
 * writes through it: while a bar is shown, each line is printed above the bar
 * and the bar is redrawn below it, so no line is glued to the bar and nothing
 * draws over the summary printed after `stop()`. Off a terminal (cron, Docker,
 * a pipe) there is no bar and lines pass straight through.
 */
export interface Screen {
  /** True when log lines reach a person's terminal (the logger then pretty-prints them). */
  readonly isTTY: boolean;
  /** One or more whole log lines. */
  write(lines: string): void;
  /** A bar on stderr when it is a terminal; undefined otherwise. `format` and `payload` are cli-progress's. */
  startBar(format: string, payload: Record<string, unknown>): Bar | undefined;
}

export function createScreen(
  out: NodeJS.WriteStream = process.stdout,
  err: NodeJS.WriteStream = process.stderr,
): Screen {
  let shown: cliProgress.MultiBar | undefined;
  return {
    isTTY: out.isTTY === true,
    write(lines) {
      // Lines meant for a file or a pipe stay there even while the terminal shows a bar.
      if (shown && out.isTTY) shown.log(lines);
      else out.write(lines);
    },
    startBar(format, payload) {
      if (!err.isTTY || shown) return undefined;
      const multi = new cliProgress.MultiBar(
        // linewrap: a long log line wraps instead of being cut at the edge; forceRedraw: the bar
        // comes back at once below lines printed over it, even if its text did not change.
        { format, stream: err, linewrap: true, forceRedraw: true, hideCursor: false },
        cliProgress.Presets.shades_classic,
      );
      const bar = multi.create(0, 0, payload);
      shown = multi;
      return {
        update(value, total, payload) {
          bar.setTotal(total);
          bar.update(value, payload);
        },
        stop() {
          // Lines logged since the last frame are printed by a redraw; stop() alone would drop them.
          multi.update();
          multi.stop();
          shown = undefined;
        },
      };
    },
  };
}
