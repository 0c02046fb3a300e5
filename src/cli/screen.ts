import { clearScreenDown, cursorTo } from 'node:readline';
import cliProgress from 'cli-progress';

/** A progress bar drawn by the screen, below every log line written while it is shown. */
export interface Bar {
  /** Leaves the final frame on its own line; what is written next starts below it. */
  stop(): void;
}

/** The bar's text for a terminal `columns` wide (it should fit in `columns - 1`), asked for at each redraw. */
export type Frame = (columns: number) => string;

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
  /**
   * A bar on stderr when the screen owns the terminal (stdout and stderr are both
   * the terminal); undefined otherwise, and the caller reports progress as log lines.
   */
  startBar(frame: Frame): Bar | undefined;
}

// Autowrap off while the bar is written (DECAWM): a frame drawn for a width the terminal
// no longer has is cut at its edge instead of spilling onto a line the next frame never visits.
const WRAP_OFF = '\x1b[?7l';
const WRAP_ON = '\x1b[?7h';

export function createScreen(
  out: NodeJS.WriteStream = process.stdout,
  err: NodeJS.WriteStream = process.stderr,
): Screen {
  // Piped (`run --once | tee run.log`), stdout's lines reach the terminal through another
  // process, at moments the bar cannot know: they would be glued to it, and frames left in
  // the scrollback. The bar is drawn only when both streams are this process's terminal.
  const ownsTerminal = out.isTTY === true && err.isTTY === true;
  let shown: cliProgress.MultiBar | undefined;
  return {
    isTTY: out.isTTY === true,
    write(lines) {
      if (shown) shown.log(lines);
      else out.write(lines);
    },
    startBar(frame) {
      if (!ownsTerminal || shown) return undefined;
      const multi = new cliProgress.MultiBar({
        format: (_options, params) => frame(params.maxWidth),
        stream: err,
        // linewrap: a long log line wraps instead of being cut at the edge; forceRedraw: the bar
        // comes back at once below lines printed over it, even if its text did not change.
        linewrap: true,
        forceRedraw: true,
        hideCursor: false,
      });
      const bar = multi.create(0, 0);
      bar.on('redraw-pre', () => err.write(WRAP_OFF));
      bar.on('redraw-post', () => {
        // The cursor is parked at the start of the bar, and whatever is below it is erased: when
        // a narrower terminal reflows the last frame over two or three lines, the cursor stays at
        // its start, and the next frame (drawn for the new width) overwrites it and erases the rest.
        err.write(WRAP_ON);
        clearScreenDown(err);
        cursorTo(err, 0);
      });
      const redraw = () => multi.update();
      err.on('resize', redraw);
      shown = multi;
      return {
        stop() {
          err.off('resize', redraw);
          // Lines logged since the last frame are printed by a redraw; stop() alone would drop them.
          multi.update();
          multi.stop();
          shown = undefined;
        },
      };
    },
  };
}
