export {
  formatDuration,
  MessageFooter,
  RequestIdBadge,
  type RequestIdBadgeProps,
} from './RequestIdBadge.js';
