package loadtest

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
)

// WriteCSV writes the raw series to dir: samples.csv (one row per sample) and asap.csv (one row
// per asap request), for analysis beyond the plot.
func (r *Report) WriteCSV(dir string) error {
	if err := writeFile(filepath.Join(dir, "samples.csv"), func(w *bufio.Writer) {
		fmt.Fprintln(w, "t_s,depth_15m,depth_24h,engine_running,engine_waiting,utilisation,misses")
		for _, s := range r.Samples {
			fmt.Fprintf(w, "%.3f,%g,%g,%d,%d,%.4f,%g\n", s.T.Seconds(), s.Depth["15m"], s.Depth["24h"], s.Running, s.Waiting, s.Util, s.Misses)
		}
	}); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, "asap.csv"), func(w *bufio.Writer) {
		fmt.Fprintln(w, "sent_s,latency_ms,ok")
		for _, a := range r.Asap {
			fmt.Fprintf(w, "%.3f,%.1f,%t\n", a.At.Seconds(), float64(a.Lat.Microseconds())/1000, a.OK)
		}
	})
}

func writeFile(path string, fill func(*bufio.Writer)) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fill(w)
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
