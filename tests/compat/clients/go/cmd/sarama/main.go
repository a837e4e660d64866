// sarama: the compat lab's Sarama (IBM/sarama) client run. Usage: sarama <bootstrap> <prefix>
// Admin (create/describe/configs/delete), produce with every codec and idempotently, consume in
// a group with commits, and a two-member rebalance; prints one JSON line of results.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"kafkaesque.dev/compat/clients/go/internal/report"
)

const stepTimeout = 60 * time.Second

var codecs = []struct {
	name  string
	codec sarama.CompressionCodec
}{
	{"none", sarama.CompressionNone},
	{"gzip", sarama.CompressionGZIP},
	{"snappy", sarama.CompressionSnappy},
	{"lz4", sarama.CompressionLZ4},
	{"zstd", sarama.CompressionZSTD},
}

func baseConfig() *sarama.Config {
	c := sarama.NewConfig()
	c.Version = sarama.V2_8_0_0
	c.ClientID = "kafkaesque-compat-sarama"
	c.Producer.Return.Successes = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Offsets.AutoCommit.Enable = false
	c.Metadata.AllowAutoTopicCreation = false
	return c
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: sarama <bootstrap> <topic-prefix>")
		os.Exit(2)
	}
	addrs, prefix := strings.Split(os.Args[1], ","), os.Args[2]
	rep := report.New("sarama", "v1.61.1")
	defer rep.Print()
	adm, err := sarama.NewClusterAdmin(addrs, baseConfig())
	if err != nil {
		rep.Check("connect", err, nil)
		return
	}
	defer adm.Close()
	runAdmin(rep, adm, prefix)

	topic := prefix + "-codecs"
	if err := adm.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false); err != nil {
		rep.Check("produce.setup", err, nil)
		return
	}
	expected := map[string]string{}
	for _, c := range codecs {
		cfg := baseConfig()
		cfg.Producer.Compression = c.codec
		values, err := produce(addrs, cfg, topic, c.name)
		rep.Check("produce."+c.name, err, nil)
		for _, v := range values {
			expected[v] = "produce." + c.name
		}
	}
	cfg := baseConfig()
	cfg.Producer.Idempotent = true
	cfg.Net.MaxOpenRequests = 1
	values, err := produce(addrs, cfg, topic, "idempotent")
	rep.Check("produce.idempotent", err, nil)
	for _, v := range values {
		expected[v] = "produce.idempotent"
	}
	consumeGroup(rep, adm, addrs, topic, prefix+"-g1", expected)
	rebalance(rep, adm, addrs, prefix)
}

func runAdmin(rep *report.Report, adm sarama.ClusterAdmin, prefix string) {
	topic := prefix + "-admin"
	retention := "123456789"
	err := adm.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 3, ReplicationFactor: 1,
		ConfigEntries: map[string]*string{"retention.ms": &retention}}, false)
	if !rep.Check("admin.createTopics", err, nil) {
		return
	}
	// A new topic reaches every broker's metadata a moment after CreateTopics returns (KRaft
	// brokers replay it; so does ours): poll briefly, as the other suites and Kafka's tools do.
	var meta []*sarama.TopicMetadata
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		meta, err = adm.DescribeTopics([]string{topic})
		if err == nil && (len(meta) != 1 || !errors.Is(meta[0].Err, sarama.ErrNoError) || len(meta[0].Partitions) != 3) {
			err = fmt.Errorf("unexpected topic metadata: %+v", meta)
		}
		if err == nil || time.Now().After(deadline) {
			break
		}
	}
	rep.Check("admin.describeTopics", err, nil)

	readRetention := func() (string, error) {
		entries, err := adm.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: topic})
		for _, e := range entries {
			if e.Name == "retention.ms" {
				return e.Value, err
			}
		}
		return "", err
	}
	got, err := readRetention()
	if err == nil && got != retention {
		err = fmt.Errorf("retention.ms is %q", got)
	}
	rep.Check("admin.describeConfigs", err, nil)

	newRetention := "987654321"
	err = adm.IncrementalAlterConfig(sarama.TopicResource, topic, map[string]sarama.IncrementalAlterConfigsEntry{
		"retention.ms": {Operation: sarama.IncrementalAlterConfigsOperationSet, Value: &newRetention}}, false)
	// KRaft applies a config change when the broker replays it: poll briefly, as Kafka's own tools do.
	for deadline := time.Now().Add(10 * time.Second); err == nil; time.Sleep(100 * time.Millisecond) {
		if got, err = readRetention(); err == nil && got == newRetention {
			break
		}
		if err == nil && time.Now().After(deadline) {
			err = fmt.Errorf("after alter retention.ms is %q", got)
		}
	}
	rep.Check("admin.alterConfigs", err, nil)

	err = adm.DeleteTopic(topic)
	if err == nil {
		deadline := time.Now().Add(stepTimeout)
		for {
			topics, lerr := adm.ListTopics()
			if _, still := topics[topic]; lerr == nil && !still {
				break
			}
			if time.Now().After(deadline) {
				err = errors.New("topic still listed after delete")
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	rep.Check("admin.deleteTopics", err, nil)
}

func produce(addrs []string, cfg *sarama.Config, topic, label string) ([]string, error) {
	p, err := sarama.NewSyncProducer(addrs, cfg)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	var msgs []*sarama.ProducerMessage
	var values []string
	for i := 0; i < 5; i++ {
		v := fmt.Sprintf("%s-%d-%s", label, i, strings.Repeat("x", 200))
		values = append(values, v)
		msgs = append(msgs, &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(fmt.Sprint(i)), Value: sarama.StringEncoder(v)})
	}
	return values, p.SendMessages(msgs)
}

type handler struct {
	setup   func(sarama.ConsumerGroupSession)
	cleanup func(sarama.ConsumerGroupSession)
	message func(sarama.ConsumerGroupSession, *sarama.ConsumerMessage)
}

func (h *handler) Setup(s sarama.ConsumerGroupSession) error {
	if h.setup != nil {
		h.setup(s)
	}
	return nil
}
func (h *handler) Cleanup(s sarama.ConsumerGroupSession) error {
	if h.cleanup != nil {
		h.cleanup(s)
	}
	return nil
}
func (h *handler) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for {
		select {
		case m, ok := <-claim.Messages():
			if !ok {
				return nil
			}
			if h.message != nil {
				h.message(s, m)
			}
		case <-s.Context().Done():
			return nil
		}
	}
}

func consumeGroup(rep *report.Report, adm sarama.ClusterAdmin, addrs []string, topic, group string, expected map[string]string) {
	g, err := sarama.NewConsumerGroup(addrs, group, baseConfig())
	if err != nil {
		rep.Check("consume.group", err, nil)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	var mu sync.Mutex
	seen := map[string]bool{}
	count := 0
	var commitErr error = errors.New("never committed")
	h := &handler{message: func(s sarama.ConsumerGroupSession, m *sarama.ConsumerMessage) {
		mu.Lock()
		defer mu.Unlock()
		seen[string(m.Value)] = true
		count++
		s.MarkMessage(m, "")
		if len(seen) == len(expected) {
			s.Commit()
			commitErr = nil
			cancel()
		}
	}}
	for ctx.Err() == nil {
		if err := g.Consume(ctx, []string{topic}, h); err != nil && ctx.Err() == nil {
			rep.Check("consume.group", err, nil)
			break
		}
	}
	g.Close()
	mu.Lock()
	missing := map[string]int{}
	for v, feature := range expected {
		if !seen[v] {
			missing[feature]++
		}
	}
	mu.Unlock()
	for feature, n := range missing {
		rep.Check(feature, fmt.Errorf("%d produced records not consumed back", n), nil)
	}
	if len(missing) > 0 {
		rep.Check("consume.group", fmt.Errorf("missing records: %v", missing), nil)
	} else {
		rep.Check("consume.group", nil, map[string]int{"records": count})
	}
	err = commitErr
	if err == nil {
		offsets, ferr := adm.ListConsumerGroupOffsets(group, map[string][]int32{topic: {0}})
		err = ferr
		if err == nil {
			block := offsets.GetBlock(topic, 0)
			if block == nil || block.Offset != int64(count) {
				err = fmt.Errorf("committed offset %+v, want %d", block, count)
			}
		}
	}
	rep.Check("commit", err, nil)
}

func rebalance(rep *report.Report, adm sarama.ClusterAdmin, addrs []string, prefix string) {
	topic, group := prefix+"-rebalance", prefix+"-g2"
	if err := adm.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 2, ReplicationFactor: 1}, false); err != nil {
		rep.Check("rebalance", err, nil)
		return
	}
	var mu sync.Mutex
	owned := map[string][]int32{}
	ctx, cancel := context.WithTimeout(context.Background(), 2*stepTimeout)
	defer cancel()
	member := func(name string) sarama.ConsumerGroup {
		cfg := baseConfig()
		cfg.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRange()}
		g, err := sarama.NewConsumerGroup(addrs, group, cfg)
		if err != nil {
			panic(err)
		}
		h := &handler{
			setup: func(s sarama.ConsumerGroupSession) {
				mu.Lock()
				defer mu.Unlock()
				owned[name] = append([]int32{}, s.Claims()[topic]...)
			},
			cleanup: func(sarama.ConsumerGroupSession) {
				mu.Lock()
				defer mu.Unlock()
				owned[name] = nil
			},
		}
		go func() {
			for ctx.Err() == nil {
				if err := g.Consume(ctx, []string{topic}, h); err != nil {
					time.Sleep(100 * time.Millisecond)
				}
			}
		}()
		return g
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
	if !wait(func() bool { return len(owned["a"]) == 2 }) {
		rep.Check("rebalance", fmt.Errorf("first member never owned both partitions: %v", owned), nil)
		return
	}
	b := member("b")
	defer b.Close()
	ok := wait(func() bool { return len(owned["a"]) == 1 && len(owned["b"]) == 1 && owned["a"][0] != owned["b"][0] })
	mu.Lock()
	detail := map[string][]int32{"a": owned["a"], "b": owned["b"]}
	mu.Unlock()
	var err error
	if !ok {
		err = fmt.Errorf("after the second member joined: %v", detail)
	}
	rep.Check("rebalance", err, detail)
	cancel()
}
