package translate

import "testing"

func TestDialectValid(t *testing.T) {
	for _, d := range Dialects {
		if !d.Valid() {
			t.Fatalf("%s not valid", d)
		}
	}
	if Dialect("nope").Valid() {
		t.Fatal("unknown dialect valid")
	}
}
