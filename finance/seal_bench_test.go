package finance_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/paydesk/paydesk/finance"
)

// What the seal chain costs: 200 sealed days of 50 operations each (10,000
// operations), verified alone (through the day index) and within Check
// (fed by its one scan).
//
//	go test ./finance -run '^$' -bench SealChain -benchtime 10x
const (
	sealBenchDays   = 200
	sealBenchPerDay = 50
)

func BenchmarkSealChain(b *testing.B) {
	f := newFixture(b)
	c := f.client("Anna", "050 123 4567")
	n := 0
	for range sealBenchDays {
		for range sealBenchPerDay {
			n++
			if _, err := f.svc.TopUp(f.ctx, f.desk, finance.TopUpRequest{Key: "sb" + strconv.Itoa(n), ClientID: c.ID, Amount: 100, Register: "card"}); err != nil {
				b.Fatal(err)
			}
		}
		f.closeAll(10000, "")
		f.clock.Add(24 * time.Hour)
	}
	perOp := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(sealBenchDays*sealBenchPerDay), "ns/sealed-op")
	}
	b.Run("verify", func(b *testing.B) {
		for range b.N {
			v, err := f.svc.Verify(f.ctx)
			if err != nil || !v.OK() || v.Days != sealBenchDays {
				b.Fatalf("verify %+v %v", v, err)
			}
		}
		perOp(b)
	})
	b.Run("check", func(b *testing.B) {
		for range b.N {
			rep, err := f.svc.Check(f.ctx)
			if err != nil || len(rep.Problems) > 0 || rep.SealedDays != sealBenchDays {
				b.Fatalf("check %+v %v", rep, err)
			}
		}
		perOp(b)
	})
}
