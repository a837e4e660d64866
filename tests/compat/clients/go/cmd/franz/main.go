// franz: the compat lab's franz-go client run. Usage: franz <bootstrap> <topic-prefix>
// Admin (create/describe/configs/delete), produce with every codec and idempotently, consume in
// a group with commits, and a two-member rebalance; prints one JSON line of results.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"kafkaesque.dev/compat/clients/go/internal/report"
)

const stepTimeout = 60 * time.Second

var codecs = []struct {
	name  string
	codec kgo.CompressionCodec
}{
	{"none", kgo.NoCompression()},
	{"gzip", kgo.GzipCompression()},
	{"snappy", kgo.SnappyCompression()},
	{"lz4", kgo.Lz4Compression()},
	{"zstd", kgo.ZstdCompression()},
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: franz <bootstrap> <topic-prefix>")
		os.Exit(2)
	}
	seeds, prefix := strings.Split(os.Args[1], ","), os.Args[2]
	rep := report.New("franz-go", "v1.22.3")
	defer rep.Print()

	admClient, err := kgo.NewClient(kgo.SeedBrokers(seeds...))
	if err != nil {
		rep.Check("connect", err, nil)
		return
	}
	defer admClient.Close()
	adm := kadm.NewClient(admClient)
	runAdmin(rep, adm, prefix)

	codecsTopic := prefix + "-codecs"
	if err := createTopic(adm, codecsTopic, 1, nil); err != nil {
		rep.Check("produce.setup", err, nil)
		return
	}
	expected := map[string]string{} // value -> feature
	for _, c := range codecs {
		values, err := produce(seeds, codecsTopic, c.name, 5, kgo.ProducerBatchCompression(c.codec), kgo.DisableIdempotentWrite())
		rep.Check("produce."+c.name, err, nil)
		for _, v := range values {
			expected[v] = "produce." + c.name
		}
	}
	values, err := produce(seeds, codecsTopic, "idempotent", 5, kgo.RequiredAcks(kgo.AllISRAcks()))
	rep.Check("produce.idempotent", err, nil)
	for _, v := range values {
		expected[v] = "produce.idempotent"
	}
	consumeGroup(rep, adm, seeds, codecsTopic, prefix+"-g1", expected)
	rebalance(rep, adm, seeds, prefix)
}

func createTopic(adm *kadm.Client, topic string, partitions int32, configs map[string]*string) error {
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	resp, err := adm.CreateTopic(ctx, partitions, 1, configs, topic)
	if err != nil {
		return err
	}
	return resp.Err
}

func runAdmin(rep *report.Report, adm *kadm.Client, prefix string) {
	topic := prefix + "-admin"
	retention := "123456789"
	if !rep.Check("admin.createTopics", createTopic(adm, topic, 3, map[string]*string{"retention.ms": &retention}), nil) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	details, err := adm.ListTopics(ctx, topic)
	if err == nil {
		err = details.Error()
	}
	if err == nil && len(details[topic].Partitions) != 3 {
		err = fmt.Errorf("expected 3 partitions, got %d", len(details[topic].Partitions))
	}
	rep.Check("admin.describeTopics", err, nil)

	configs, err := adm.DescribeTopicConfigs(ctx, topic)
	var got string
	if err == nil {
		var rc kadm.ResourceConfig
		rc, err = configs.On(topic, nil)
		if err == nil {
			err = rc.Err
			for _, c := range rc.Configs {
				if c.Key == "retention.ms" && c.Value != nil {
					got = *c.Value
				}
			}
		}
	}
	if err == nil && got != retention {
		err = fmt.Errorf("retention.ms is %q, want %q", got, retention)
	}
	rep.Check("admin.describeConfigs", err, nil)

	newRetention := "987654321"
	altered, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "retention.ms", Value: &newRetention}}, topic)
	if err == nil {
		for _, a := range altered {
			if a.Err != nil {
				err = a.Err
			}
		}
	}
	// KRaft applies a config change when the broker replays it: poll briefly, as Kafka's own tools do.
	for deadline := time.Now().Add(10 * time.Second); err == nil; time.Sleep(100 * time.Millisecond) {
		configs, err = adm.DescribeTopicConfigs(ctx, topic)
		if err != nil {
			break
		}
		got = ""
		rc, _ := configs.On(topic, nil)
		for _, c := range rc.Configs {
			if c.Key == "retention.ms" && c.Value != nil {
				got = *c.Value
			}
		}
		if got == newRetention {
			break
		}
		if time.Now().After(deadline) {
			err = fmt.Errorf("after alter retention.ms is %q", got)
		}
	}
	rep.Check("admin.alterConfigs", err, nil)

	deleted, err := adm.DeleteTopics(ctx, topic)
	if err == nil {
		err = deleted.Error()
	}
	if err == nil {
		err = waitGone(ctx, adm, topic)
	}
	rep.Check("admin.deleteTopics", err, nil)
}

func waitGone(ctx context.Context, adm *kadm.Client, topic string) error {
	for {
		topics, err := adm.ListTopics(ctx)
		if err == nil && !topics.Has(topic) {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.New("topic still listed after delete")
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func produce(seeds []string, topic, label string, count int, opts ...kgo.Opt) ([]string, error) {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(seeds...), kgo.DefaultProduceTopic(topic)}, opts...)...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	var records []*kgo.Record
	var values []string
	for i := 0; i < count; i++ {
		v := fmt.Sprintf("%s-%d-%s", label, i, strings.Repeat("x", 200))
		values = append(values, v)
		records = append(records, &kgo.Record{Key: []byte(fmt.Sprint(i)), Value: []byte(v)})
	}
	return values, cl.ProduceSync(ctx, records...).FirstErr()
}

func consumeGroup(rep *report.Report, adm *kadm.Client, seeds []string, topic, group string, expected map[string]string) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())
	if err != nil {
		rep.Check("consume.group", err, nil)
		return
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	seen := map[string]bool{}
	count := 0
	for len(seen) < len(expected) && ctx.Err() == nil {
		fetches := cl.PollFetches(ctx)
		fetches.EachRecord(func(r *kgo.Record) {
			count++
			seen[string(r.Value)] = true
		})
	}
	missing := map[string]int{}
	for v, feature := range expected {
		if !seen[v] {
			missing[feature]++
		}
	}
	for feature, n := range missing {
		rep.Check(feature, fmt.Errorf("%d produced records not consumed back", n), nil)
	}
	if len(missing) > 0 {
		rep.Check("consume.group", fmt.Errorf("missing records: %v", missing), nil)
	} else {
		rep.Check("consume.group", nil, map[string]int{"records": count})
	}
	err = cl.CommitUncommittedOffsets(ctx)
	if err == nil {
		var offsets kadm.OffsetResponses
		offsets, err = adm.FetchOffsets(ctx, group)
		if err == nil {
			o, ok := offsets.Lookup(topic, 0)
			if !ok || o.At != int64(count) {
				err = fmt.Errorf("committed offset %v (found %v), want %d", o.At, ok, count)
			}
		}
	}
	rep.Check("commit", err, nil)
}

// rebalance: member A owns both partitions, member B joins, each ends with one.
func rebalance(rep *report.Report, adm *kadm.Client, seeds []string, prefix string) {
	topic, group := prefix+"-rebalance", prefix+"-g2"
	if err := createTopic(adm, topic, 2, nil); err != nil {
		rep.Check("rebalance", err, nil)
		return
	}
	var mu sync.Mutex
	owned := map[string][]int32{}
	member := func(name string) *kgo.Client {
		cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
			kgo.Balancers(kgo.RangeBalancer()),
			kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, a map[string][]int32) {
				mu.Lock()
				defer mu.Unlock()
				owned[name] = append([]int32{}, a[topic]...)
			}),
			kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, _ map[string][]int32) {
				mu.Lock()
				defer mu.Unlock()
				owned[name] = nil
			}))
		if err != nil {
			panic(err)
		}
		return cl
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*stepTimeout)
	defer cancel()
	poll := func(cl *kgo.Client) {
		for ctx.Err() == nil && !cl.PollFetches(ctx).IsClientClosed() {
		}
	}
	wait := func(cond func() bool) bool {
		for ctx.Err() == nil {
			mu.Lock()
			ok := cond()
			mu.Unlock()
			if ok {
				return true
			}
			time.Sleep(100 * time.Millisecond)
		}
		return false
	}
	a := member("a")
	defer a.Close()
	go poll(a)
	if !wait(func() bool { return len(owned["a"]) == 2 }) {
		rep.Check("rebalance", fmt.Errorf("first member never owned both partitions: %v", owned), nil)
		return
	}
	b := member("b")
	defer b.Close()
	go poll(b)
	ok := wait(func() bool { return len(owned["a"]) == 1 && len(owned["b"]) == 1 })
	mu.Lock()
	detail := map[string][]int32{"a": owned["a"], "b": owned["b"]}
	mu.Unlock()
	var err error
	if !ok {
		err = fmt.Errorf("after the second member joined: %v", detail)
	} else {
		all := append(append([]int32{}, detail["a"]...), detail["b"]...)
		sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
		if all[0] != 0 || all[1] != 1 {
			err = fmt.Errorf("partitions not split: %v", detail)
		}
	}
	rep.Check("rebalance", err, detail)
}
