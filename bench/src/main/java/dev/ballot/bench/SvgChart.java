package dev.ballot.bench;

import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The chart of a bench run as SVG: two panels of grouped bars, ops/s per row and p99 per row, one
 * bar per system. A row a system failed shows "failed" instead of its bar.
 */
public final class SvgChart {
  private static final String[] COLORS = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759"};
  private static final int WIDTH = 1000;
  private static final int PANEL_HEIGHT = 300;
  private static final int LEFT = 80;
  private static final int RIGHT = 20;
  private static final int TOP = 50;
  private static final int LABEL_SPACE = 60;
  private static final int TICKS = 5;

  private SvgChart() {}

  public static String render(Matrix matrix, String title) {
    List<String> systems = matrix.systems();
    int height = TOP + 2 * (PANEL_HEIGHT + LABEL_SPACE) + 20;
    StringBuilder svg = new StringBuilder();
    svg.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
                + " font-family=\"sans-serif\" font-size=\"12\">\n",
            WIDTH,
            height,
            WIDTH,
            height));
    svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    svg.append(text(LEFT, 20, 16, "start", escape(title)));
    for (int s = 0; s < systems.size(); s++) {
      int x = LEFT + 300 + s * 140;
      svg.append(
          String.format(
              Locale.ROOT,
              "<rect class=\"legend\" x=\"%d\" y=\"8\" width=\"14\" height=\"14\" fill=\"%s\"/>\n",
              x,
              color(s)));
      svg.append(text(x + 20, 20, 12, "start", escape(systems.get(s))));
    }
    panel(svg, matrix, TOP, "ops/s", "ops", r -> r.opsPerS());
    panel(
        svg,
        matrix,
        TOP + PANEL_HEIGHT + LABEL_SPACE,
        "p99 latency (ms)",
        "p99",
        r -> r.latency().p99());
    svg.append("</svg>\n");
    return svg.toString();
  }

  private static void panel(
      StringBuilder svg,
      Matrix matrix,
      int top,
      String label,
      String panelId,
      ToDoubleFunction<RunResult> metric) {
    List<String> systems = matrix.systems();
    List<String> rows = matrix.rows();
    double max = 0;
    for (String row : rows) {
      for (String system : systems) {
        RunResult result = matrix.get(row, system);
        if (Matrix.measured(result)) {
          max = Math.max(max, metric.applyAsDouble(result));
        }
      }
    }
    double axisMax = niceCeiling(max);
    int plotHeight = PANEL_HEIGHT - 40;
    int baseY = top + 20 + plotHeight;
    int plotWidth = WIDTH - LEFT - RIGHT;
    svg.append(text(LEFT, top + 12, 13, "start", escape(label)));
    for (int t = 0; t <= TICKS; t++) {
      double value = axisMax * t / TICKS;
      int y = baseY - (int) Math.round(plotHeight * (double) t / TICKS);
      svg.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>\n",
              LEFT,
              y,
              LEFT + plotWidth,
              y));
      svg.append(text(LEFT - 6, y + 4, 11, "end", tickLabel(value)));
    }
    int groups = Math.max(rows.size(), 1);
    double groupWidth = (double) plotWidth / groups;
    double barWidth = groupWidth * 0.8 / Math.max(systems.size(), 1);
    for (int g = 0; g < rows.size(); g++) {
      String row = rows.get(g);
      double groupX = LEFT + g * groupWidth + groupWidth * 0.1;
      for (int s = 0; s < systems.size(); s++) {
        RunResult result = matrix.get(row, systems.get(s));
        double x = groupX + s * barWidth;
        if (!Matrix.measured(result) || result.failed()) {
          if (result != null) {
            svg.append(
                text((int) (x + barWidth / 2), baseY - 4, 10, "middle", "failed")
                    .replace(
                        "<text ",
                        "<text class=\"failed system-" + cssName(systems.get(s)) + "\" "));
          }
          continue;
        }
        double value = metric.applyAsDouble(result);
        double barHeight = axisMax == 0 ? 0 : plotHeight * value / axisMax;
        svg.append(
            String.format(
                Locale.ROOT,
                "<rect class=\"bar %s system-%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\""
                    + " fill=\"%s\"><title>%s, %s: %s</title></rect>\n",
                panelId,
                cssName(systems.get(s)),
                x,
                baseY - barHeight,
                barWidth,
                barHeight,
                color(s),
                escape(systems.get(s)),
                escape(row),
                tickLabel(value)));
        svg.append(
            text(
                (int) Math.round(x + barWidth / 2),
                (int) (baseY - barHeight) - 3,
                9,
                "middle",
                tickLabel(value)));
      }
      svg.append(
          text(
              (int) (LEFT + g * groupWidth + groupWidth / 2),
              baseY + 16,
              11,
              "middle",
              escape(row)));
    }
    svg.append(
        String.format(
            Locale.ROOT,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n",
            LEFT,
            baseY,
            LEFT + plotWidth,
            baseY));
  }

  /** The smallest of 1, 2, 2.5, 5 times a power of ten that is at least {@code value}. */
  static double niceCeiling(double value) {
    if (value <= 0) {
      return 1;
    }
    double power = Math.pow(10, Math.floor(Math.log10(value)));
    for (double step : new double[] {1, 2, 2.5, 5, 10}) {
      if (step * power >= value) {
        return step * power;
      }
    }
    return 10 * power;
  }

  private static String tickLabel(double value) {
    if (value >= 100 || value == Math.rint(value)) {
      return String.format(Locale.ROOT, "%,.0f", value);
    }
    return String.format(Locale.ROOT, "%.2f", value);
  }

  private static String text(int x, int y, int size, String anchor, String content) {
    return String.format(
        Locale.ROOT,
        "<text x=\"%d\" y=\"%d\" font-size=\"%d\" text-anchor=\"%s\">%s</text>\n",
        x,
        y,
        size,
        anchor,
        content);
  }

  private static String color(int index) {
    return COLORS[index % COLORS.length];
  }

  private static String cssName(String system) {
    return system.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
  }

  static String escape(String text) {
    return text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
