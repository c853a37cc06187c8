/**
 * The demo's traffic: prompts a user might type, some carrying a fault marker that a service
 * down the line acts on, so errors and latency tails happen at known hops.
 */
export type Fault = 'sandbox_timeout' | 'provider_error' | 'tool_error' | 'rate_limit' | 'slow';

export interface Scenario {
  name: string;
  prompt: string;
  /** The path the complexity detector should pick. */
  path: 'fast' | 'agent';
  /** For failing scenarios: the service whose span or log line holds the error. */
  failsAt?: string;
}

export const SCENARIOS: readonly Scenario[] = [
  { name: 'simple', path: 'fast', prompt: 'What is the capital of France?' },
  {
    name: 'research',
    path: 'agent',
    prompt: 'Research recent papers on retrieval augmented generation and write code to plot them',
  },
  {
    name: 'rate_limited',
    path: 'fast',
    prompt: 'Translate "good morning" to Spanish [fault:rate_limit]',
  },
  { name: 'slow_llm', path: 'fast', prompt: 'Tell me a short joke about queues [slow]' },
  {
    name: 'sandbox_timeout',
    path: 'agent',
    failsAt: 'sandy',
    prompt: 'Analyze this dataset and write code to train a model on it [fault:sandbox_timeout]',
  },
  {
    name: 'analysis',
    path: 'agent',
    prompt: 'Analyze the last quarter of sales and write code that finds the top regions',
  },
  {
    name: 'provider_error',
    path: 'fast',
    failsAt: 'llm-provider',
    prompt: 'Summarize the news today [fault:provider_error]',
  },
  {
    name: 'tool_error',
    path: 'agent',
    failsAt: 'python-worker',
    prompt: 'Research the weather history of Oslo and write code to chart it [fault:tool_error]',
  },
  { name: 'greeting', path: 'fast', prompt: 'Hello! How are you?' },
  {
    name: 'planning',
    path: 'agent',
    prompt: 'Plan a three step research project on vector databases and write code for step one',
  },
];

const FAULT_RE = /\[(?:fault:)?(sandbox_timeout|provider_error|tool_error|rate_limit|slow)\]/g;

export function faultsIn(text: string): Set<Fault> {
  return new Set([...text.matchAll(FAULT_RE)].map((m) => m[1] as Fault));
}

export function scenarioAt(index: number): Scenario {
  return SCENARIOS[index % SCENARIOS.length] as Scenario;
}

export interface ChatMessage {
  role: string;
  content: string;
}

/** The text the faults and the complexity detector look at: the last user message. */
export function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as Partial<ChatMessage> | null;
    if (m?.role === 'user' && typeof m.content === 'string') return m.content;
  }
  return '';
}
